"""Everything the readiness report and the replacement plan read, fetched once per report.

Queries are bounded by the scope, not by the fleet: each one groups by school or device in
InfluxDB (``GROUP BY school, device``) and returns one row per school or device, so a
province's report is about a dozen queries, plus one small query per school day for uplink
availability during school hours (InfluxQL cannot filter on the hour of the day). For a
province the per-device queries run once per block of ``SCHOOLS_PER_QUERY`` schools.
``progress(step, done, total)`` is called after each query, for the CLI's progress bar.

Queries select schools by the ``school`` tag alone: it is on every point ever written, while
the unit tags changed with the 2025 reform (points written before it carry ``district``, later
ones ``commune`` and ``managing_body``), and which schools a commune runs is the registry's
answer, not the tags'.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolnet_collector.core.access import Scope
from schoolnet_collector.planning.period import Period, school_hour_windows
from schoolnet_collector.planning.scope import school_filter, scope_schools
from schoolnet_collector.planning.targets import Parameters
from schoolnet_collector.registry.models import Device, School, Unit
from schoolnet_collector.storage.influx import InfluxStore

Key = tuple[str, str]  # (school, device)


@dataclass
class UplinkStats:
    ever_up: bool = False
    fixed_share: float = 0.0
    cellular_share: float = 0.0
    rtt_ms: float | None = None  # median while up
    loss_percent: float | None = None  # median while up
    school_hours_up: float = 0.0  # samples with up = 1 during school hours
    school_hours_samples: int = 0


@dataclass
class FleetData:
    scope: Scope
    period: Period
    schools: list[School]
    registry: dict[str, list[Device]]  # school -> registered devices
    uplink: dict[str, UplinkStats] = field(default_factory=dict)
    reports: dict[Key, tuple[str, int]] = field(default_factory=dict)  # kind, reports
    heard: dict[str, dict[str, str]] = field(default_factory=dict)  # school -> device -> kind
    inventory: dict[Key, dict[str, Any]] = field(default_factory=dict)  # the inventory's JSON
    disk_used: dict[Key, float] = field(default_factory=dict)  # fullest disk, last value
    crashes: dict[Key, int] = field(default_factory=dict)
    projector: dict[Key, dict[str, Any]] = field(default_factory=dict)
    board_reachable: dict[Key, float] = field(default_factory=dict)  # percent
    reporting_schools: set[str] = field(default_factory=set)  # any device reported
    unit_names: dict[str, str] = field(default_factory=dict)  # the registry's units, by code

    def devices(self, school: str) -> dict[str, str]:
        """device -> kind: registered devices and any device heard in the period."""
        out = {d.device_id: d.kind for d in self.registry.get(school, ()) if d.kind != "unknown"}
        for device, kind in self.heard.get(school, {}).items():
            out.setdefault(device, kind)
        return out


def quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def rfc3339(t: datetime) -> str:
    return quote(t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def _time(a: datetime, b: datetime) -> str:
    return f"time >= {rfc3339(a)} AND time < {rfc3339(b)}"


SCHOOLS_PER_QUERY = 100
"""Schools per per-device query for a province: each query stays well inside the store's
timeout on a small server, and the progress bar moves."""


def schools_tag(ids: list[str]) -> str:
    """`` AND school =~ /^(?:a|b)$/`` for the registry's school ids (``[a-z0-9_-]``: nothing in
    them needs escaping in a regex or ends one)."""
    if len(ids) == 1:
        return f" AND school = {quote(ids[0])}"
    return " AND school =~ /^(?:" + "|".join(ids) + ")$/"


def scope_tag(scope: Scope, ids: list[str]) -> str:
    """The tag condition for ``scope``'s schools ``ids``: none for the province."""
    return "" if scope.kind == "province" else schools_tag(ids)


def fetch(
    store: InfluxStore,
    session: Session,
    scope: Scope,
    period: Period,
    params: Parameters,
    crash_gap_minutes: float,
    progress: Callable[[str, int, int], None] = lambda step, done, total: None,
) -> FleetData:
    schools = scope_schools(session, scope)
    registry: dict[str, list[Device]] = defaultdict(list)
    for d in session.scalars(
        select(Device).join(School, Device.school_id == School.id).where(school_filter(scope))
    ):
        registry[d.school_id].append(d)
    data = FleetData(scope, period, schools, dict(registry))
    data.unit_names = {u.code: u.name for u in session.execute(select(Unit.code, Unit.name))}
    ordered = sorted(s.id for s in schools)
    ids = set(ordered)
    span = _time(period.start, period.end)
    tag = scope_tag(scope, ordered)
    where = span + tag
    blocks = [ordered[i : i + SCHOOLS_PER_QUERY] for i in range(0, len(ordered), SCHOOLS_PER_QUERY)]
    parts = (
        [(f" {b[0]}…{b[-1]}", schools_tag(b)) for b in blocks]
        if scope.kind == "province"
        else [("", tag)]
    )
    hours = params.school_hours
    windows = school_hour_windows(period, params.timezone, hours.start, hours.end)
    total = 2 + len(windows) + len(DEVICE_QUERIES) * len(parts)
    done = 0

    def rows(step: str, q: str) -> list[dict[str, Any]]:
        nonlocal done
        out = [r for r in store.rows(q) if r.get("school") in ids]
        done += 1
        progress(step, done, total)
        return out

    for r in rows(
        "uplink",
        "SELECT MAX(up) AS ever_up, MEAN(fixed) AS fixed, MEAN(cellular) "
        f"AS cellular FROM uplink WHERE {where} GROUP BY school",
    ):
        data.uplink[r["school"]] = UplinkStats(
            bool(r["ever_up"]), r["fixed"] or 0.0, r["cellular"] or 0.0
        )
    for r in rows(
        "uplink quality",
        "SELECT MEDIAN(rtt_ms) AS rtt, MEDIAN(loss_percent) AS loss "
        f"FROM uplink WHERE {where} AND up = 1 GROUP BY school",
    ):
        if r["school"] in data.uplink:
            data.uplink[r["school"]].rtt_ms, data.uplink[r["school"]].loss_percent = (
                r["rtt"],
                r["loss"],
            )
    for a, b in windows:
        for r in rows(
            f"school hours {a.date()}",
            "SELECT SUM(up) AS up, COUNT(up) AS n FROM "
            f"uplink WHERE {_time(a, b)}{tag} GROUP BY school",
        ):
            if r["school"] in data.uplink:
                stats = data.uplink[r["school"]]
                stats.school_hours_up += r["up"] or 0.0
                stats.school_hours_samples += int(r["n"] or 0)
    gap = int(crash_gap_minutes * 60)
    for label, part in parts:
        for name, query, keep in DEVICE_QUERIES:
            # Inventory is retained and sent when it changes, so its newest point may be older
            # than the period: it is read from any time before the period's end.
            when = f"time < {rfc3339(period.end)}" if name == "inventory" else span
            for r in rows(f"{name}{label}", query.format(where=when + part, gap=gap)):
                keep(data, r)
    return data


def _reports(data: FleetData, r: dict[str, Any]) -> None:
    data.reports[(r["school"], r["device"])] = (r["kind"], int(r["n"]))
    data.heard.setdefault(r["school"], {})[r["device"]] = r["kind"]
    data.reporting_schools.add(r["school"])


def _disk(data: FleetData, r: dict[str, Any]) -> None:
    key = (r["school"], r["device"])
    data.disk_used[key] = max(data.disk_used.get(key, 0.0), r["used"] or 0.0)


# (name, InfluxQL with {where} and {gap}, what to keep of each row): one row per device.
DEVICE_QUERIES: tuple[tuple[str, str, Callable[[FleetData, dict[str, Any]], None]], ...] = (
    (
        "reports",
        "SELECT COUNT(seq) AS n FROM report WHERE {where} GROUP BY school, device, kind",
        _reports,
    ),
    (
        "inventory",
        (
            "SELECT LAST(bios_date) AS bios_date, LAST(ram_bytes) AS ram_bytes, "
            "LAST(cpu_bits) AS cpu_bits, LAST(smart_failed_count) AS smart_failed_count, "
            "LAST(/^disk[0-9]+_smart$/) FROM inventory WHERE {where} GROUP BY school, device"
        ),
        lambda data, r: data.inventory.__setitem__((r["school"], r["device"]), r),
    ),
    (
        "disks",
        (
            "SELECT LAST(used_percent) AS used FROM disk WHERE {where} "
            "GROUP BY school, device, instance"
        ),
        _disk,
    ),
    # An uptime that starts again soon after the previous report is a crash or an unexpected
    # restart; after a long silence (a night switched off) it is not.
    (
        "restarts",
        (
            "SELECT COUNT(d) AS n FROM (SELECT DIFFERENCE(uptime_seconds) AS d, "
            "ELAPSED(uptime_seconds, 1s) AS e FROM system WHERE {where} GROUP BY school, device) "
            "WHERE d < 0 AND e <= {gap} GROUP BY school, device"
        ),
        lambda data, r: data.crashes.__setitem__((r["school"], r["device"]), int(r["n"])),
    ),
    # MAX: the device-level sample carries the most-used lamp's hours, per-lamp samples
    # (instance lamp1, lamp2…) their own; hours only grow, so the maximum is the latest.
    (
        "projectors",
        (
            "SELECT MAX(lamp_hours) AS lamp_hours, LAST(lamp_rated_hours) AS "
            "lamp_rated_hours, LAST(error) AS error FROM projector WHERE {where} GROUP BY school, device"
        ),
        lambda data, r: data.projector.__setitem__((r["school"], r["device"]), r),
    ),
    (
        "boards",
        "SELECT MEAN(reachable) AS reachable FROM board WHERE {where} GROUP BY school, device",
        lambda data, r: data.board_reachable.__setitem__(
            (r["school"], r["device"]), 100.0 * (r["reachable"] or 0.0)
        ),
    ),
)
