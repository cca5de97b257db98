"""The figures both the API and the web pages show: schools with device counts, district
roll-ups, a school's uplink history.

One implementation for both, so a page can never disagree with the API it is tested against.
Every function takes the caller's where-clause (``Caller.school_ids_filter()``) so nothing
outside the caller's scope is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from schoolnet_collector.registry.devices import is_online
from schoolnet_collector.registry.models import Device, School
from schoolnet_collector.registry.sites import schools_only
from schoolnet_collector.storage.influx import InfluxStore

UPLINK_FIELDS = ("up", "rtt_ms", "loss_percent", "failover", "cellular")
"""Numeric ``uplink`` fields (docs/protocol.md, "Names other parts depend on") averaged per hour."""


@dataclass
class Counts:
    devices: int = 0
    devices_online: int = 0


@dataclass
class DistrictSummary:
    id: str
    name: str | None
    schools: int
    devices: int
    devices_online: int


def device_counts(
    session: Session, school_ids: list[str], now: datetime, offline_after: float
) -> dict[str, Counts]:
    """Devices registered and online, per school id."""
    counts: dict[str, Counts] = {}
    for device in session.scalars(select(Device).where(Device.school_id.in_(school_ids))):
        c = counts.setdefault(device.school_id, Counts())
        c.devices += 1
        c.devices_online += is_online(device, now, offline_after)
    return counts


def district_summaries(
    session: Session,
    scope: ColumnElement[bool],
    now: datetime,
    offline_after: float,
    district: str | None = None,
) -> list[DistrictSummary]:
    """One row per district in scope (optionally only ``district``), ordered by id: its
    schools and their devices. Sites of units are not schools and count in no district."""
    query = select(School.id, School.district, School.district_name).where(scope, schools_only())
    if district is not None:
        query = query.where(School.district == district)
    rows = session.execute(query).all()
    counts = device_counts(session, [r.id for r in rows], now, offline_after)
    out: dict[str, DistrictSummary] = {}
    for r in rows:
        d = out.get(r.district)
        if d is None:
            d = out[r.district] = DistrictSummary(r.district, r.district_name, 0, 0, 0)
        d.name = d.name or r.district_name
        d.schools += 1
        c = counts.get(r.id, Counts())
        d.devices += c.devices
        d.devices_online += c.devices_online
    return [out[k] for k in sorted(out)]


def count_schools(session: Session, query: Select[School]) -> int:
    return session.execute(select(func.count()).select_from(query.subquery())).scalar_one()


def influx_string(value: str) -> str:
    """An InfluxQL string literal (ids are validated already; this keeps it safe regardless)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def uplink_history(store: InfluxStore, school_id: str, hours: int) -> list[dict[str, Any]]:
    """Hourly means of the school's ``uplink`` fields over the last ``hours``, oldest first.

    Hourly, not raw: a day of 60-second reports is 1,440 points per field, more than a page
    or a planner needs, and the mean of ``up`` is directly the hour's availability."""
    fields = ", ".join(f'mean("{f}") AS "{f}"' for f in UPLINK_FIELDS)
    rows = store.rows(
        f'SELECT {fields} FROM "uplink" WHERE "school" = {influx_string(school_id)} '
        f"AND time > now() - {int(hours)}h GROUP BY time(1h) fill(none)"
    )
    return [{"time": r["time"], **{f: r.get(f) for f in UPLINK_FIELDS}} for r in rows]
