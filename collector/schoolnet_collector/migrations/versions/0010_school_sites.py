"""Sites of a unit (issue 12, item 8): the Sở's own office and a commune's office have devices
and links worth watching, but they are not schools. A site is a row of ``schools`` whose
``site_of`` names the unit it belongs to (the province or a commune), so its topics, broker
ACL, devices, incidents and notifications work as a school's do, while every school indicator
leaves it out. Today's rows are all schools (``site_of`` NULL); the way down makes every site a
school again, which is what the registry believed before.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE on both back-ends, never SQLite's batch copy: dropping the old copy of
    # ``schools`` would cascade to every device and incident that refers to it (as in 0008).
    op.execute("ALTER TABLE schools ADD COLUMN site_of VARCHAR(63)")
    op.create_index("ix_schools_site_of", "schools", ["site_of"])


def downgrade() -> None:
    op.drop_index("ix_schools_site_of", table_name="schools")
    op.execute("ALTER TABLE schools DROP COLUMN site_of")
