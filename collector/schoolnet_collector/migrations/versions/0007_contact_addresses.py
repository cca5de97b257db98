"""Contacts' addresses as rows of any channel kind (issue 11): ``contact_addresses`` replaces
the ``email``, ``telegram_chat_id`` and ``webhook_url`` columns, so a new channel (Zalo) needs
no migration of its own.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The columns this migration retires, the channel kind each held, and its width: frozen here
# (a migration must not change when the channel registry does).
COLUMNS = (
    ("email", "email", 254),
    ("telegram_chat_id", "telegram", 64),
    ("webhook_url", "webhook", 2000),
)


STASH = "contact_addresses_0006"
"""Where the addresses wait while ``contacts`` is rebuilt: SQLite's batch mode copies the table
and drops the old one, which would cascade to rows that refer to it."""


def _create_addresses() -> None:
    op.create_table(
        "contact_addresses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "contact_id",
            sa.Integer,
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("address", sa.String(2000), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.UniqueConstraint("contact_id", "channel", "address", name="uq_contact_address"),
    )
    op.create_index(
        "ix_contact_addresses_channel_address", "contact_addresses", ["channel", "address"]
    )


def _stash_table() -> None:
    op.create_table(
        STASH,
        sa.Column("contact_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("address", sa.String(2000), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("id", sa.Integer, nullable=False),
    )


def upgrade() -> None:
    _stash_table()
    for n, (column, channel, _width) in enumerate(COLUMNS):
        op.execute(
            sa.text(
                f"INSERT INTO {STASH} (contact_id, channel, address, position, id) "
                f"SELECT id, :channel, {column}, 0, {n} FROM contacts "
                f"WHERE {column} IS NOT NULL AND {column} <> ''"
            ).bindparams(channel=channel)
        )
    with op.batch_alter_table("contacts") as batch:
        for column, _channel, _width in COLUMNS:
            batch.drop_column(column)
    _create_addresses()
    op.execute(
        f"INSERT INTO contact_addresses (contact_id, channel, address, position) "
        f"SELECT contact_id, channel, address, position FROM {STASH} ORDER BY contact_id, id"
    )
    op.drop_table(STASH)


def downgrade() -> None:
    """The columns come back with each contact's first address of their kind; addresses of
    other channels (or a second one of a kind) have nowhere to go and are lost."""
    _stash_table()
    op.execute(
        f"INSERT INTO {STASH} (contact_id, channel, address, position, id) "
        "SELECT contact_id, channel, address, position, id FROM contact_addresses"
    )
    op.drop_index("ix_contact_addresses_channel_address", table_name="contact_addresses")
    op.drop_table("contact_addresses")
    with op.batch_alter_table("contacts") as batch:
        for column, _channel, width in COLUMNS:
            batch.add_column(sa.Column(column, sa.String(width), nullable=True))
    for column, channel, width in COLUMNS:
        op.execute(
            sa.text(
                f"UPDATE contacts SET {column} = (SELECT a.address FROM {STASH} a "
                "WHERE a.contact_id = contacts.id AND a.channel = :channel "
                f"AND length(a.address) <= {width} "
                "ORDER BY a.position, a.id LIMIT 1)"
            ).bindparams(channel=channel)
        )
    op.drop_table(STASH)
