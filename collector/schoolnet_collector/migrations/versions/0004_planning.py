"""Planning data: enrolment on schools, purchase year and lab room on devices (issue 6).

Readiness divides enrolment by working PCs; the replacement plan ages a device by its BIOS
date or, when the inventory has none, by the purchase year from the Sở's equipment file, and
replaces a lab room as a whole. All three columns are nullable: unknown stays unknown.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schools", sa.Column("students", sa.Integer, nullable=True))
    op.add_column("devices", sa.Column("purchase_year", sa.Integer, nullable=True))
    op.add_column("devices", sa.Column("room", sa.String(63), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), not a batch copy of the table: copying
    # ``schools`` would drop the parent table and cascade-delete every device under SQLite.
    op.drop_column("devices", "room")
    op.drop_column("devices", "purchase_year")
    op.drop_column("schools", "students")
