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

COLUMNS = (("legacy_province", 63), ("commune", 63), ("managing_body_override", 16))
"""The schools' new columns, frozen here. ``commune`` has no foreign key: SQLite adds one only
by copying the table, and the import checks every commune against ``units`` itself."""


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
    # Plain ALTER TABLE on both back-ends, never SQLite's batch copy: dropping the old copy of
    # ``schools`` would cascade to every device and incident that refers to it.
    op.drop_index("ix_schools_district", table_name="schools")
    op.execute("ALTER TABLE schools RENAME COLUMN district TO legacy_district")
    op.create_index("ix_schools_legacy_district", "schools", ["legacy_district"])
    for column, width in COLUMNS:
        op.execute(f"ALTER TABLE schools ADD COLUMN {column} VARCHAR({width})")
    op.create_index("ix_schools_legacy_province", "schools", ["legacy_province"])
    op.create_index("ix_schools_commune", "schools", ["commune"])
    # Every school's plan today is its own province's: the old plan's area is where it was.
    op.execute("UPDATE schools SET legacy_province = province")


def downgrade() -> None:
    """The units and the schools' communes are lost; the district comes back as it was."""
    op.drop_index("ix_schools_commune", table_name="schools")
    op.drop_index("ix_schools_legacy_province", table_name="schools")
    for column, _width in COLUMNS:
        op.execute(f"ALTER TABLE schools DROP COLUMN {column}")
    op.drop_index("ix_schools_legacy_district", table_name="schools")
    op.execute("ALTER TABLE schools RENAME COLUMN legacy_district TO district")
    op.create_index("ix_schools_district", "schools", ["district"])
    # SQLite empties a dropped table row by row: a child's RESTRICT on its parent would stop it.
    op.execute("UPDATE units SET parent = NULL")
    op.drop_table("units")
