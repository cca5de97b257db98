"""Contacts, school calendar, maintenance windows, incidents (issue 5).

Also each device's expected presence and the newest readings the alert rules need.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _school_fk(nullable: bool) -> sa.Column[str]:
    return sa.Column(
        "school_id",
        sa.String(63),
        sa.ForeignKey("schools.id", ondelete="CASCADE"),
        nullable=nullable,
    )


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("expected_presence", sa.String(16), nullable=True))
    op.create_table(
        "contacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        _school_fk(True),
        sa.Column("district", sa.String(63), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("telegram_chat_id", sa.String(64), nullable=True),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("language", sa.String(2), nullable=False, server_default="vi"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    )
    op.create_index("ix_contacts_role", "contacts", ["role"])
    op.create_index("ix_contacts_school_id", "contacts", ["school_id"])
    op.create_index("ix_contacts_district", "contacts", ["district"])
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _school_fk(False),
        sa.Column("device_id", sa.String(63), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_maintenance_school_time", "maintenance_windows", ["school_id", "ends_at"])
    op.create_table(
        "school_hours",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _school_fk(True),
        sa.Column("weekday", sa.Integer, nullable=False),
        sa.Column("opens", sa.Time, nullable=False),
        sa.Column("closes", sa.Time, nullable=False),
    )
    op.create_index("ix_school_hours_school_day", "school_hours", ["school_id", "weekday"])
    op.create_table(
        "school_terms",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _school_fk(True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
    )
    op.create_index("ix_school_terms_school_id", "school_terms", ["school_id"])
    op.create_table(
        "holidays",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _school_fk(True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=True),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
    )
    op.create_index("ix_holidays_school_id", "holidays", ["school_id"])
    op.create_index("ix_holidays_dates", "holidays", ["starts_on", "ends_on"])
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("rule", sa.String(63), nullable=False),
        _school_fk(False),
        sa.Column("device_id", sa.String(63), nullable=True),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("flapping", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(200), nullable=True),
    )
    # One incident per key that is not resolved, decided by the database (several collectors).
    op.create_index(
        "ux_incidents_open_key",
        "incidents",
        ["key"],
        unique=True,
        sqlite_where=sa.text("state != 'resolved'"),
        postgresql_where=sa.text("state != 'resolved'"),
    )
    op.create_index("ix_incidents_state_school", "incidents", ["state", "school_id"])
    op.create_index("ix_incidents_key_opened", "incidents", ["key", "opened_at"])
    op.create_index("ix_incidents_rule", "incidents", ["rule"])
    op.create_table(
        "incident_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "incident_id",
            sa.Integer,
            sa.ForeignKey("incidents.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_index("ix_incident_events_incident_id", "incident_events", ["incident_id"])
    op.create_table(
        "device_readings",
        sa.Column(
            "school_id",
            sa.String(63),
            sa.ForeignKey("schools.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("device_id", sa.String(63), primary_key=True),
        sa.Column("name", sa.String(127), primary_key=True),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("text_value", sa.Text, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("device_readings")
    op.drop_table("incident_events")
    op.drop_table("incidents")
    op.drop_table("holidays")
    op.drop_table("school_terms")
    op.drop_table("school_hours")
    op.drop_table("maintenance_windows")
    op.drop_table("contacts")
    with op.batch_alter_table("devices") as batch:
        batch.drop_column("expected_presence")
