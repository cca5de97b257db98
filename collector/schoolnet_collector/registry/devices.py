"""Devices: registered on first report, their last-seen time and availability kept current.

Ingest sees thousands of reports a second, so it only notes them in memory here; ``flush``
writes the newest state of each device in one upsert per second. The upsert keeps the later
``last_seen`` when two collectors flush the same device out of order.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import case, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

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


def utc(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


class DeviceTracker:
    def __init__(self):
        self._pending: dict[tuple[str, str], Sighting] = {}
        self._lock = threading.Lock()

    def report(self, school: str, device: str, kind: str, seq: int, interval: float | None,
               at: datetime) -> None:
        with self._lock:
            s = self._pending.get((school, device))
            if s is None:
                s = self._pending[(school, device)] = Sighting()
            s.kind, s.last_seen = kind, at
            s.last_seq = seq if s.last_seq is None else max(seq, s.last_seq)
            if interval is not None:
                s.interval = interval

    def availability(self, school: str, device: str, online: bool, at: datetime,
                     fresh: bool = True) -> None:
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
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return 0
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        for (school, device), s in batch.items():
            seen = s.last_seen or s.available_changed
            values = dict(school_id=school, device_id=device, kind=s.kind or UNKNOWN_KIND,
                          first_seen=seen, last_seen=seen, last_seq=s.last_seq,
                          interval_seconds=s.interval, available=s.available,
                          available_changed=s.available_changed)
            stmt = insert(Device).values(**values)
            ex = stmt.excluded
            updates = {}
            if s.last_seen is not None:
                updates["last_seen"] = case((ex.last_seen > Device.last_seen, ex.last_seen),
                                            else_=Device.last_seen)
            if s.kind:
                updates["kind"] = ex.kind
            if s.last_seq is not None:
                updates["last_seq"] = ex.last_seq
            if s.interval is not None:
                updates["interval_seconds"] = ex.interval_seconds
            if s.available is not None:
                updates["available"] = ex.available
                updates["available_changed"] = ex.available_changed
            session.execute(stmt.on_conflict_do_update(index_elements=["school_id", "device_id"],
                                                       set_=updates))
        session.commit()
        return len(batch)


def is_online(device: Device, now: datetime, offline_after_intervals: float,
              default_interval: float = 60.0) -> bool:
    """Online unless the device said offline (Will) or has been silent too long."""
    if device.available is False:
        return False
    silent = (now - utc(device.last_seen)).total_seconds()
    return silent <= offline_after_intervals * (device.interval_seconds or default_interval)


def school_devices(session: Session, school: str) -> list[Device]:
    return list(session.scalars(select(Device).where(Device.school_id == school)
                                .order_by(Device.kind, Device.device_id)))
