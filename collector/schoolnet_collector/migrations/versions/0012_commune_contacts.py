"""Commune offices as contacts (issue 12): ``contacts.commune`` names the commune whose office
hears about the schools that commune runs, as the district offices did before 1 July 2025.

Nothing is moved: an old district became several communes, and which commune office a district
contact now works for is something only a person knows. Contacts with role ``district`` stay as
they were, are never paged, and the contact file and API refuse the role with a message saying
to write ``commune`` and its code. Tokens with a district scope likewise stay stored and are
refused at every route (``api.auth``).

Revision ID: 0012
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: on SQLite a batch copies ``contacts`` into a new table, and
# dropping the old one would cascade to every contact's addresses (``contact_addresses``
# refers to it with ON DELETE CASCADE). SQLite has dropped columns in place since 3.35.


def upgrade() -> None:
    op.add_column("contacts", sa.Column("commune", sa.String(63), nullable=True))
    op.create_index("ix_contacts_commune", "contacts", ["commune"])


def downgrade() -> None:
    op.drop_index("ix_contacts_commune", table_name="contacts")
    op.drop_column("contacts", "commune")
