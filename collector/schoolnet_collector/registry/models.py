"""Registry tables: units and schools (imported, with the sites of units), devices (registered on first report), dead
letters.

The registry is the state several collectors must agree on, so it lives in a database
(SQLite by default, PostgreSQL when collectors run side by side), never in process memory only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, synonym


class Base(DeclarativeBase):
    pass


class Unit(Base):
    """A unit of local government: a province, a commune (xã / phường / đặc khu), or one of the
    units abolished on 1 July 2025 (a district, an old province) that old plans still name.

    ``code`` is the official 5-digit commune code where the planners have it, otherwise one of
    our ids; ``type`` is one of ``registry.units.UNIT_TYPES``."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(32), index=True)
    parent: Mapped[str | None] = mapped_column(
        String(63), ForeignKey("units.code", ondelete="RESTRICT"), nullable=True, index=True
    )
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class School(Base):
    __tablename__ = "schools"

    id: Mapped[str] = mapped_column(String(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(63), index=True)
    # The district the school was in before 1 July 2025 (migration 0008 renamed the column).
    # ``district`` stays as a synonym so the reports, scopes and tags that group by it keep
    # working until they move to communes.
    legacy_district: Mapped[str] = mapped_column(String(63), index=True)
    district: Mapped[str] = synonym("legacy_district")
    level: Mapped[str] = mapped_column(String(32), index=True)
    # The province as the old plans name it (a merged Sở answers for two or three); None: the
    # same as ``province``.
    legacy_province: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    # A commune's ``Unit.code``; None: "chưa gán xã" (unassigned), counted as such, never
    # dropped. No foreign key (see migration 0008): the school import checks it.
    commune: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    # "commune" or "province" where the school's level does not decide it (TH&THCS, THCS&THPT);
    # None: derived from the level (``registry.units.managing_body``).
    managing_body_override: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # A site of a unit, not a school (the Sở's office, a commune office): the unit's code (the
    # province or a commune). Monitored and alerted like a school, never counted as one
    # (``registry.sites``). None: a school.
    site_of: Mapped[str | None] = mapped_column(String(63), nullable=True, index=True)
    district_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Enrolment from the school file: students per working PC in the readiness report.
    students: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Device(Base):
    __tablename__ = "devices"

    school_id: Mapped[str] = mapped_column(
        String(63), ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True
    )
    device_id: Mapped[str] = mapped_column(String(63), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    interval_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    # From the availability topic: True after "online", False after "offline" (Will or stop).
    available: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    available_changed: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    # always | school_hours | optional; None: the rule file's default for the device's kind.
    expected_presence: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # From the Sở's equipment file (``devices import``): the planners' age of a device when
    # its inventory has no BIOS date, and the lab room that is replaced as a whole.
    purchase_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    room: Mapped[str | None] = mapped_column(String(63), nullable=True)


class DeadLetter(Base):
    __tablename__ = "dead_letters"
    __table_args__ = (Index("ix_dead_letters_received", "received_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    topic: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
