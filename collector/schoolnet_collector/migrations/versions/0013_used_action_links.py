"""E-mail links that acknowledge or resolve an incident act once (issue 14): the ids of the
links that have acted. New table only; the way down drops it (the links then work again until
they expire, which is all that is lost).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "used_action_links",
        sa.Column("jti", sa.String(32), primary_key=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("contact_id", sa.Integer, nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_used_action_links_incident_id", "used_action_links", ["incident_id"])


def downgrade() -> None:
    op.drop_index("ix_used_action_links_incident_id", table_name="used_action_links")
    op.drop_table("used_action_links")
