"""Devices: registered on first report, their last-seen time and availability kept current.

Ingest sees thousands of reports a second, so it only notes them in memory here; ``flush``
writes the newest state of each device in one upsert per second. The upsert keeps the later
``last_seen`` when two collectors flush the same device out of order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import overload

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from schoolnet_collector.registry.db import upsert
from schoolnet_collector.registry.models import Device

UNKNOWN_KIND = "unknown"  # a device heard only on its availability topic so far


@dataclass(slots=True)
class Sighting:
    kind: str | None = None
    last_seen: datetime | None = None
    last_seq: int | None = None
    interval: float | None = None
    available: bool | None = None
    available_changed: datetime | None = None

    def take_older(self, older: Sighting) -> None:
        """Fold in an earlier sighting of the same device that could not be written yet:
        what this one knows wins, what only the older one knows is kept."""
        self.kind = self.kind or older.kind
        self.last_seen = self.last_seen or older.last_seen
        if older.last_seq is not None:
            self.last_seq = (
                older.last_seq if self.last_seq is None else max(self.last_seq, older.last_seq)
            )
        self.interval = self.interval if self.interval is not None else older.interval
        if self.available is None:
            self.available, self.available_changed = older.available, older.available_changed


@overload
def utc(dt: datetime) -> datetime: ...
@overload
def utc(dt: None) -> None: ...
def utc(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


class DeviceTracker:
    def __init__(self) -> None:
        self._pending: dict[tuple[str, str], Sighting] = {}
        self._lock = threading.Lock()

    def report(
        self, school: str, device: str, kind: str, seq: int, interval: float | None, at: datetime
    ) -> None:
        with self._lock:
            s = self._pending.get((school, device))
            if s is None:
                s = self._pending[(school, device)] = Sighting()
            s.kind, s.last_seen = kind, at
            s.last_seq = seq if s.last_seq is None else max(seq, s.last_seq)
            if interval is not None:
                s.interval = interval

    def availability(
        self, school: str, device: str, online: bool, at: datetime, fresh: bool = True
    ) -> None:
        """``fresh=False`` for a retained message replayed on subscribe: it tells the state,
        not that the device was heard from just now."""
        with self._lock:
            s = self._pending.setdefault((school, device), Sighting())
            s.available, s.available_changed = online, at
            if online and fresh:
                s.last_seen = at

    def pending(self) -> int:
        return len(self._pending)

    def flush(self, session: Session) -> int:
        """Write the pending sightings: three statements, each executed once for many rows."""
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return 0
        reports: list[dict[str, object]] = []
        heard: list[dict[str, object]] = []
        replayed: list[dict[str, object]] = []
        for (school, device), s in batch.items():
            key = {"school_id": school, "device_id": device}
            if s.kind is not None:
                reports.append(
                    dict(
                        key,
                        kind=s.kind,
                        first_seen=s.last_seen,
                        last_seen=s.last_seen,
                        last_seq=s.last_seq,
                        interval_seconds=s.interval,
                    )
                )
            if s.available is not None:
                row: dict[str, object] = dict(
                    key,
                    kind=UNKNOWN_KIND,
                    first_seen=s.available_changed,
                    last_seen=s.available_changed,
                    available=s.available,
                    available_changed=s.available_changed,
                )
                (heard if s.last_seen is not None else replayed).append(row)
        ex = upsert(session, Device).excluded
        later_seen = case((ex.last_seen > Device.last_seen, ex.last_seen), else_=Device.last_seen)
        statements: list[tuple[list[dict[str, object]], dict[str, object]]] = [
            (
                reports,
                {
                    # The registry's kind stands (the equipment file's, or the first report's):
                    # a device cannot make itself a gateway by saying so (ingest/convert.py).
                    "kind": case((Device.kind == UNKNOWN_KIND, ex.kind), else_=Device.kind),
                    "last_seen": later_seen,
                    "last_seq": ex.last_seq,
                    "interval_seconds": func.coalesce(ex.interval_seconds, Device.interval_seconds),
                },
            ),
            (
                heard,
                {
                    "available": ex.available,
                    "available_changed": ex.available_changed,
                    "last_seen": later_seen,
                },
            ),
            # A retained message replayed on subscribe tells the state, not a time heard from.
            (replayed, {"available": ex.available, "available_changed": ex.available_changed}),
        ]
        try:
            for rows, updates in statements:
                if rows:
                    stmt = upsert(session, Device).on_conflict_do_update(
                        index_elements=["school_id", "device_id"], set_=updates
                    )
                    session.execute(stmt, rows)
            session.commit()
        except BaseException:
            # A locked or unreachable registry: keep the sightings for the next flush, or the
            # devices would look silent (and be alerted on) although they reported.
            session.rollback()
            self._restore(batch)
            raise
        return len(batch)

    def _restore(self, batch: dict[tuple[str, str], Sighting]) -> None:
        with self._lock:
            for key, older in batch.items():
                newer = self._pending.get(key)
                if newer is None:
                    self._pending[key] = older
                else:
                    newer.take_older(older)


def is_online(
    device: Device, now: datetime, offline_after_intervals: float, default_interval: float = 60.0
) -> bool:
    """Online unless the device said offline (Will) or has been silent too long."""
    if device.available is False:
        return False
    silent = (now - utc(device.last_seen)).total_seconds()
    return silent <= offline_after_intervals * (device.interval_seconds or default_interval)


def school_devices(session: Session, school: str) -> list[Device]:
    return list(
        session.scalars(
            select(Device).where(Device.school_id == school).order_by(Device.kind, Device.device_id)
        )
    )
