"""A signing key stored with a contact's address (issue 13): a webhook's messages are signed
with the key of the contact they are for, chosen by contact, never by URL, so a copied URL
does not borrow another school's key. Keys in ``[notify.webhook] contact_secrets`` still work
(they are looked up after the stored one); nothing is moved, so the way down loses only keys
set with ``contacts webhook-key``.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contact_addresses") as batch:
        batch.add_column(sa.Column("secret", sa.String(128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contact_addresses") as batch:
        batch.drop_column("secret")
