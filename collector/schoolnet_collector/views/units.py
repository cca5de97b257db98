"""The registry's units and the communes' roll-up, as the API (``/api/v1/units``,
``/api/v1/communes``) and the pages show them.

Both take the caller's where-clause on ``School`` (``Caller.school_ids_filter()``): a caller
who does not cover the whole province sees only the units its schools are in (and the units
above them), and a commune's counts only of its own schools. Schools without a commune are one
entry, ``unassigned`` ("Chưa gán xã"), so the communes' schools add up to the caller's.
Sites of units (``registry.sites``) are not schools: a commune's counts leave them out, their
devices too, so the communes add up to the readiness report's schools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from schoolnet_collector.planning.grouping import UNASSIGNED, partition, place
from schoolnet_collector.registry.models import School, Unit
from schoolnet_collector.registry.sites import schools_only
from schoolnet_collector.registry.units import MANAGING_BODIES, UNASSIGNED as NO_COMMUNE
from schoolnet_collector.views.overview import device_counts


def units_in_scope(
    session: Session, scope: ColumnElement[bool], whole: bool, unit_type: str | None = None
) -> list[Unit]:
    """Every unit (``whole``: the caller covers the province), else those the caller's
    schools are in, with their parents; optionally of one type; ordered by code."""
    query = select(Unit).order_by(Unit.code)
    if unit_type is not None:
        query = query.where(Unit.type == unit_type)
    units = list(session.scalars(query))
    if whole:
        return units
    everything = {u.code: u for u in session.scalars(select(Unit))}
    seen: set[str] = set()
    for school in session.scalars(select(School).where(scope)):
        for code in (
            school.commune,
            school.legacy_district,
            school.legacy_province,
            school.province,
        ):
            while code is not None and code in everything and code not in seen:
                seen.add(code)
                code = everything[code].parent
    return [u for u in units if u.code in seen]


@dataclass
class CommuneSummary:
    id: str
    name: str
    type: str | None  # xa | phuong | dac_khu; None for ``unassigned``
    schools: int = 0
    managing_bodies: list[dict[str, object]] = field(default_factory=list)
    online_now: int = 0  # schools with a device online now
    devices: int = 0
    devices_online: int = 0


def commune_summaries(
    session: Session, scope: ColumnElement[bool], now: datetime, offline_after: float, lang: str
) -> list[CommuneSummary]:
    """One entry per commune with a school in scope, by code, then ``unassigned`` if any;
    sites of units are in none."""
    schools = list(session.scalars(select(School).where(scope, schools_only())))
    units = {
        u.code: u
        for u in session.scalars(
            select(Unit).where(Unit.code.in_({s.commune for s in schools if s.commune}))
        )
    }
    counts = device_counts(session, [s.id for s in schools], now, offline_after)
    out = []
    for commune, members in partition(schools, "commune", place):
        unit = units.get(commune)
        name = NO_COMMUNE.translate(lang) if commune == UNASSIGNED else commune
        entry = CommuneSummary(
            commune, unit.name if unit else name, unit.type if unit else None, len(members)
        )
        bodies = dict.fromkeys(("province", "commune"), 0)
        for s in members:
            body = place(s).managing_body
            bodies[body] = bodies.get(body, 0) + 1
            c = counts.get(s.id)
            if c is not None:
                entry.devices += c.devices
                entry.devices_online += c.devices_online
                entry.online_now += c.devices_online > 0
        entry.managing_bodies = [
            {"id": body, "schools": n} for body, n in bodies.items() if body in MANAGING_BODIES or n
        ]
        out.append(entry)
    return out
