"""The notification outbox: one row per (notification, channel), in the registry database.

Why a table and not a queue in memory: a collector may restart, or several may run side by side
on one PostgreSQL registry. Each row carries a unique ``dedup_key`` (incident, transition,
repeat number, contact, channel), so the same notification can be proposed twice (two
collectors, a retried transaction) and still exist once. A worker *claims* due rows in a
transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite serialises writers anyway) by
moving them to ``sending`` with a lease; a row is marked ``sent`` only after the server accepted
it. A collector that dies mid-send leaves a ``sending`` row whose lease expires: it is sent again
(at least once; the window is the moment between the server's acceptance and our commit).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from schoolnet_collector.registry.db import rowcount
from schoolnet_collector.registry.models import Base

STATES = ("pending", "sending", "sent", "failed", "cancelled")


class Notification(Base):
    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # incident | digest
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    transition: Mapped[str] = mapped_column(
        String(16)
    )  # opened, repeat, escalated, resolved, digest
    repeat_no: Mapped[int] = mapped_column(Integer, default=0)
    school_id: Mapped[str | None] = mapped_column(String(63), nullable=True)
    contact_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | telegram | webhook | mqtt
    address: Mapped[str] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, nullable=True
    )  # digest: its period


def add(
    session: Session,
    *,
    dedup_key: str,
    now: datetime,
    not_before: datetime | None = None,
    **fields: object,
) -> int:
    """Insert one row unless its dedup key exists; never raises on a duplicate, so the caller's
    transaction (the incident's) is never spoiled by a second proposal of the same message.
    Returns 1 when the row is new, 0 when it existed."""
    now = now.astimezone(timezone.utc)
    values = {
        "dedup_key": dedup_key,
        "created_at": now,
        "state": "pending",
        "attempts": 0,
        "repeat_no": 0,
        "not_before": now if not_before is None else not_before.astimezone(timezone.utc),
        **fields,
    }
    dialect = session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = (
            postgresql.insert(Notification)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedup_key"])
        )
    elif dialect == "sqlite":
        stmt = (
            sqlite.insert(Notification)
            .values(values)
            .on_conflict_do_nothing(index_elements=["dedup_key"])
        )
    else:  # other databases: look first (the unique index still guards)
        if session.scalar(select(Notification.id).where(Notification.dedup_key == dedup_key)):
            return 0
        session.add(Notification(**values))
        return 1
    return rowcount(session.execute(stmt)) or 0


def claim(
    sessions: sessionmaker[Session],
    worker: str,
    now: datetime,
    limit: int = 20,
    lease: timedelta = timedelta(minutes=2),
    channel: str | None = None,
) -> list[Notification]:
    """Take up to ``limit`` due rows for this worker; expired leases (a crashed worker) count as due."""
    now = now.astimezone(timezone.utc)  # SQLite keeps no zone: compare in UTC only
    due = ((Notification.state == "pending") & (Notification.not_before <= now)) | (
        (Notification.state == "sending") & (Notification.claimed_until < now)
    )
    if channel is not None:
        due = due & (Notification.channel == channel)
    with sessions.begin() as session:
        rows = session.scalars(
            select(Notification)
            .where(due)
            .order_by(Notification.not_before, Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            row.state, row.claimed_by, row.claimed_until = "sending", worker, now + lease
            row.attempts += 1
        session.flush()
        session.expunge_all()
    return list(rows)


def finish(
    sessions: sessionmaker[Session],
    row: Notification,
    worker: str,
    *,
    state: str,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
) -> bool:
    """Record the outcome of a claimed row; False when the lease was lost to another worker."""
    now = now.astimezone(timezone.utc)
    retry_at = retry_at.astimezone(timezone.utc) if retry_at is not None else None
    values: dict[str, object] = {"claimed_by": None, "claimed_until": None, "last_error": error}
    if state == "sent":
        values.update(state="sent", sent_at=now)
    elif retry_at is not None:
        values.update(state="pending", not_before=retry_at)
    else:
        values.update(state=state)
    with sessions.begin() as session:
        result = session.execute(
            update(Notification)
            .where(
                Notification.id == row.id,
                Notification.state == "sending",
                Notification.claimed_by == worker,
            )
            .values(**values)
        )
    return rowcount(result) == 1


def backoff(attempts: int, base: float, ceiling: float) -> timedelta:
    """30 s, 1 min, 2 min, 4 min… up to the ceiling: a dead SMTP server is not hammered."""
    return timedelta(seconds=min(ceiling, base * 2 ** max(0, attempts - 1)))
