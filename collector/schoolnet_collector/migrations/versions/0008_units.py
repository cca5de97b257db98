"""Two-tier local government (issue 12): a ``units`` table; each school's district becomes its
``legacy_district``, and it gains ``legacy_province``, ``commune`` and a managing-body
override. Today's schools have no commune yet: they are "chưa gán xã" until a school file with
a ``commune`` column says otherwise.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "units",
        sa.Column("code", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(32), nullable=False, index=True),
        sa.Column(
            "parent",
            sa.String(63),
            sa.ForeignKey("units.code", ondelete="RESTRICT"),
            nullable=True,
            index=True,
        ),
        sa.Column("valid_from", sa.Date, nullable=True),
        sa.Column("valid_to", sa.Date, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("schools") as batch:
        batch.drop_index("ix_schools_district")
        batch.alter_column("district", new_column_name="legacy_district")
    with op.batch_alter_table("schools") as batch:
        batch.create_index("ix_schools_legacy_district", ["legacy_district"])
        batch.add_column(sa.Column("legacy_province", sa.String(63), nullable=True))
        batch.create_index("ix_schools_legacy_province", ["legacy_province"])
        batch.add_column(sa.Column("commune", sa.String(63), nullable=True))
        batch.create_index("ix_schools_commune", ["commune"])
        batch.create_foreign_key(
            "fk_schools_commune_units", "units", ["commune"], ["code"], ondelete="RESTRICT"
        )
        batch.add_column(sa.Column("managing_body_override", sa.String(16), nullable=True))
    # Every school's plan today is its own province's: the old plan's area is where it was.
    op.execute("UPDATE schools SET legacy_province = province")


def downgrade() -> None:
    """The units and the schools' communes are lost; the district comes back as it was."""
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("managing_body_override")
        batch.drop_constraint("fk_schools_commune_units", type_="foreignkey")
        batch.drop_index("ix_schools_commune")
        batch.drop_column("commune")
        batch.drop_index("ix_schools_legacy_province")
        batch.drop_column("legacy_province")
        batch.drop_index("ix_schools_legacy_district")
        batch.alter_column("legacy_district", new_column_name="district")
    with op.batch_alter_table("schools") as batch:
        batch.create_index("ix_schools_district", ["district"])
    op.drop_table("units")
