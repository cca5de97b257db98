"""Registry tables for alerts: contacts, school calendar, maintenance windows, incidents.

They live on the registry's shared ``Base`` (registry/models.py) so one Alembic history
(migration 0002) creates them on SQLite and PostgreSQL alike. Incidents are shared state of
every collector: the partial unique index ``ux_incidents_open_key`` lets the database, not a
process, decide that a key has at most one incident that is not resolved, so two collectors
evaluating the same registry state open one incident between them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from schoolnet_collector import i18n
from schoolnet_collector.channels import REGISTRY
from schoolnet_collector.registry.models import Base

CONTACT_ROLES = ("school_it", "district", "province")
LANGUAGES = ("vi", "en")
INCIDENT_STATES = ("open", "acknowledged", "resolved")
SEVERITIES = ("info", "warning", "critical")
PRESENCE = ("always", "school_hours", "optional")


class Contact(Base):
    """Who hears about a school's incidents: its IT teacher(s), the managing body's staff (a
    commune office for the schools the commune runs, the Sở for the others).

    ``school_id`` is set for ``school_it``, ``commune`` for ``commune``; ``province`` contacts
    have neither. ``district`` is kept from before the 2025 reform (role ``district``, migration
    0012): such a contact is kept for the record and never paged.
    """

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), index=True)
    school_id: Mapped[str | None] = mapped_column(
        String(63), ForeignKey("schools.id", ondelete="CASCADE"), nullable=True, index=True
    )
    district: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    commune: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    language: Mapped[str] = mapped_column(String(2), default="vi", server_default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    addresses: Mapped[list[ContactAddress]] = relationship(
        back_populates="contact",
        cascade="all, delete-orphan",
        order_by=lambda: [ContactAddress.position, ContactAddress.id],
        lazy="selectin",
    )

    def address_list(self, channel: str) -> list[str]:
        """The contact's addresses on one channel, in their order."""
        return [a.address for a in self.addresses if a.channel == channel]

    def set_addresses(self, channel: str, values: list[str]) -> None:
        """Replace the contact's addresses on one channel (unchanged rows are kept, so a
        later per-address column such as a webhook key survives a re-import)."""
        keep = {a.address: a for a in self.addresses if a.channel == channel}
        others = [a for a in self.addresses if a.channel != channel]
        mine = []
        for position, value in enumerate(values):
            row = keep.pop(value, None) or ContactAddress(channel=channel, address=value)
            row.position = position
            mine.append(row)
        self.addresses = others + mine


class ContactAddress(Base):
    """One way to reach a contact: a channel kind (``channels.REGISTRY``: email, telegram,
    webhook…) and its address. Rows, not columns, so a new channel needs no migration; a
    channel's own per-address facts (a webhook's signing key, a verified flag) get a column
    here without another restructuring (migration 0006)."""

    __tablename__ = "contact_addresses"
    __table_args__ = (
        UniqueConstraint("contact_id", "channel", "address", name="uq_contact_address"),
        Index("ix_contact_addresses_channel_address", "channel", "address"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    contact_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(2000))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """The key this contact's messages here are signed with (a webhook; migration 0009)."""
    contact: Mapped[Contact] = relationship(back_populates="addresses")

    @validates("channel")
    def _known_channel(self, _key: str, channel: str) -> str:
        """Only a registered channel a contact can have: an address nobody can send to (a
        misspelt kind, a channel removed from this version) is refused, not kept silently."""
        kinds = [u.name for u in REGISTRY.contact_units()]
        if channel not in kinds:
            raise ValueError(
                f"unknown channel {channel!r} for a contact; known: {', '.join(kinds)}"
            )
        return channel


class MaintenanceWindow(Base):
    """A planned outage: no incident opens for the school (or one device) while it lasts."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (Index("ix_maintenance_school_time", "school_id", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_id: Mapped[str] = mapped_column(String(63), ForeignKey("schools.id", ondelete="CASCADE"))
    device_id: Mapped[str | None] = mapped_column(String(63), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SchoolHours(Base):
    """Opening hours for one weekday (0 = Monday), local time Asia/Ho_Chi_Minh.

    Rows with ``school_id`` NULL are the province default; a school with rows of its own uses
    only those (a school with Saturday classes adds a Saturday row).
    """

    __tablename__ = "school_hours"
    __table_args__ = (Index("ix_school_hours_school_day", "school_id", "weekday"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_id: Mapped[str | None] = mapped_column(
        String(63), ForeignKey("schools.id", ondelete="CASCADE"), nullable=True
    )
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)


class SchoolTerm(Base):
    """A term (học kỳ) of the school year; outside every term the school is on holiday."""

    __tablename__ = "school_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_id: Mapped[str | None] = mapped_column(
        String(63), ForeignKey("schools.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Holiday(Base):
    """Days off inside a term (Tết, 30/4, 2/9…), first to last day inclusive."""

    __tablename__ = "holidays"
    __table_args__ = (Index("ix_holidays_dates", "starts_on", "ends_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    school_id: Mapped[str | None] = mapped_column(
        String(63), ForeignKey("schools.id", ondelete="CASCADE"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200), nullable=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)


class Incident(Base):
    """One problem from opening to resolution; ``key`` names what it is about
    (``device_offline:<school>/<device>``, ``school_offline:<school>``…)."""

    __tablename__ = "incidents"
    __table_args__ = (
        # At most one incident per key that is not resolved: enforced by the database so
        # collectors racing on the same state cannot both open one.
        Index(
            "ux_incidents_open_key",
            "key",
            unique=True,
            sqlite_where=text("state != 'resolved'"),
            postgresql_where=text("state != 'resolved'"),
        ),
        Index("ix_incidents_state_school", "state", "school_id"),
        Index("ix_incidents_key_opened", "key", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255))
    rule: Mapped[str] = mapped_column(String(63), index=True)
    school_id: Mapped[str] = mapped_column(String(63), ForeignKey("schools.id", ondelete="CASCADE"))
    device_id: Mapped[str | None] = mapped_column(String(63), nullable=True)
    severity: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16), default="open")
    flapping: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The summary is a message id and its arguments (migration 0006), written in the reader's
    # language when shown or sent (``summary_text``). ``summary`` keeps a literal text: the
    # English for new rows (SQL readers), the old text of a row the migration could not map.
    summary: Mapped[str] = mapped_column(Text)
    summary_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    summary_args: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # JSON: the rule's figures
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)

    events: Mapped[list[IncidentEvent]] = relationship(
        back_populates="incident", order_by="IncidentEvent.id", cascade="all, delete-orphan"
    )

    def summary_text(self, lang: str) -> str:
        """The summary in ``lang``. A row whose stored message does not fit (arguments not a
        mapping, an argument of an unknown kind) shows its literal text instead: an old or
        damaged row must not fail the page or the notification that shows it."""
        if not self.summary_id:
            return self.summary
        try:
            return i18n.render_stored({"id": self.summary_id, "args": self.summary_args}, lang)
        except Exception:  # a stored row is data, not code: whatever it holds, show something
            return self.summary or self.summary_id


class IncidentEvent(Base):
    """The timeline: ``opened``, ``acknowledged``, ``resolved``, ``flapping``, ``escalated``,
    ``note``… with who (``actor``: a user name, or ``rules`` for the evaluator)."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    incident: Mapped[Incident] = relationship(back_populates="events")


class UsedActionLink(Base):
    """An e-mail link (``notify.actions``) that has done its work: a link acts once, so a
    forwarded or re-opened e-mail cannot acknowledge the next incident's copy, or act twice.
    ``jti`` is the link's own random id; the row is written in the transaction that acts."""

    __tablename__ = "used_action_links"

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(16))
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DeviceReading(Base):
    """The newest value of each metric field the rules read (``uplink.rtt_ms``, ``disk./.used_percent``…).

    Kept by ingest so the evaluator reads one small table instead of querying InfluxDB per
    device; shared in the registry because collectors under one ``$share`` group each see only
    part of a device's reports.
    """

    __tablename__ = "device_readings"

    school_id: Mapped[str] = mapped_column(
        String(63), ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True
    )
    device_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(127), primary_key=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    text_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
