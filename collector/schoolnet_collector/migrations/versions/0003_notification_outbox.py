"""Notification outbox and delivery log (issue 5).

One row per (notification, channel), unique by ``dedup_key`` so no collector sends a message
twice; ``state`` + ``not_before`` pick the due rows.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("dedup_key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("incident_id", sa.Integer, nullable=True),
        sa.Column("transition", sa.String(16), nullable=False),
        sa.Column("repeat_no", sa.Integer, nullable=False),
        sa.Column("school_id", sa.String(63), nullable=True),
        sa.Column("contact_id", sa.Integer, nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(2000), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.JSON, nullable=True),
        sa.UniqueConstraint("dedup_key", name="uq_notification_outbox_dedup_key"),
    )
    op.create_index("ix_outbox_due", "notification_outbox", ["state", "not_before"])
    op.create_index("ix_notification_outbox_incident_id", "notification_outbox", ["incident_id"])
    op.create_index("ix_notification_outbox_contact_id", "notification_outbox", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_notification_outbox_contact_id", table_name="notification_outbox")
    op.drop_index("ix_notification_outbox_incident_id", table_name="notification_outbox")
    op.drop_index("ix_outbox_due", table_name="notification_outbox")
    op.drop_table("notification_outbox")
