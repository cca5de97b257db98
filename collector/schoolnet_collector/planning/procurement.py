"""The replacement plan: which devices and labs to replace, which labs to add, what it costs.

``compute(store, session, scope, period, ...) -> ProcurementPlan``:

1. every device of the scope is scored (``scoring.assess``) from the registry (purchase year,
   room) and InfluxDB (inventory, reports, restarts, disks, projector lamps, boards);
2. a lab room is replaced as a whole when at least ``lab_replace_share`` of its PCs are to be
   replaced; the other PCs, projectors and boards to replace are counted one by one;
3. labs to add: per level with a lab target, enough schools without a lab (largest enrolment
   first) to reach the target share of the year ``as_of``;
4. costs from the unit prices; a five-year horizon counts what reaches its end of life in each
   of the next five years (rooms by the median year of their PCs).
Needs are summed per school, then by the groupings asked for (``grouping``: province,
managing body, commune, level, legacy district, legacy province) and for the whole scope. The
lab targets are those of one plan (``plans``): the one asked for, on its own area's schools,
else the plan for the whole province.

Sites of units (the Sở's office, a commune office; ``registry.sites``) are left out, devices
and all: the plan is the school equipment programme the targets are written for, and its
figures must add up to the schools' needs. An office's machines are bought from the unit's own
running budget, not this programme; their health is on the site's page and in its alerts.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from schoolnet_collector.core.access import Scope
from schoolnet_collector.planning import grouping
from schoolnet_collector.planning.fleetdata import FleetData, fetch
from schoolnet_collector.planning.grouping import Place, parse_group_by, partition
from schoolnet_collector.planning.period import Period
from schoolnet_collector.planning.plans import Plan, in_area, plan_of, resolve
from schoolnet_collector.planning.prices import Prices, load_prices
from schoolnet_collector.planning.readiness import LAB_TARGET_LEVELS, SchoolReadiness, judge_school
from schoolnet_collector.planning.scoring import (
    PC_KINDS,
    SCORED_KINDS,
    Assessment,
    DeviceFacts,
    ScoringRules,
    assess,
    load_scoring,
)
from schoolnet_collector.planning.targets import Targets
from schoolnet_collector.storage.influx import InfluxStore

HORIZON_YEARS = 5
NO_ROOM = "lab"  # lab PCs without a room in the equipment file form one room per school


@dataclass
class Needs:
    pcs: int = 0
    labs_replace: int = 0
    lab_pcs_replace: int = 0
    labs_add: int = 0
    lab_pcs_add: int = 0
    projectors: int = 0
    boards: int = 0
    cost: int = 0

    def add(self, other: Needs) -> None:
        for key, value in asdict(other).items():
            setattr(self, key, getattr(self, key) + value)

    @property
    def empty(self) -> bool:
        return not any(asdict(self).values())


@dataclass
class LabRoom:
    school: str
    room: str
    pcs: int
    to_replace: int
    replace: bool
    year: int | None  # median year of its PCs
    end_of_life_year: int | None


@dataclass
class SchoolNeeds:
    id: str
    name: str
    district: str  # the legacy district
    district_name: str
    level: str
    students: int | None
    needs: Needs
    province: str = ""
    commune: str = grouping.UNASSIGNED
    managing_body: str = grouping.UNASSIGNED
    legacy_province: str = ""

    def place(self) -> Place:
        return Place(
            self.province,
            self.managing_body,
            self.commune,
            self.level,
            self.district,
            self.legacy_province,
        )


@dataclass
class GroupNeeds:
    kind: str  # one of grouping.AXES
    id: str
    name: str
    needs: Needs


@dataclass
class HorizonYear:
    year: int
    needs: Needs


@dataclass
class ProcurementPlan:
    scope: str
    period: Period
    as_of: int
    prices: Prices
    total: Needs
    plan: str = "default"  # the plan whose lab targets count
    group_by: tuple[str, ...] = grouping.DEFAULT_GROUP_BY
    grouped: dict[str, list[GroupNeeds]] = field(default_factory=dict)  # axis -> its groups
    schools: list[SchoolNeeds] = field(default_factory=list)
    rooms: list[LabRoom] = field(default_factory=list)
    assessments: list[Assessment] = field(default_factory=list)
    horizon: list[HorizonYear] = field(default_factory=list)
    unknown_age: int = 0  # scored devices with neither BIOS date nor purchase year

    def flagged(self) -> list[Assessment]:
        return [a for a in self.assessments if a.verdict != "ok"]

    def as_dict(self, lang: str = "vi") -> dict[str, Any]:
        """JSON-ready (the API's and the CLI's ``--format json``)."""
        return {
            "scope": self.scope,
            "as_of": self.as_of,
            "period": {
                "text": self.period.text,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "prices": self.prices.model_dump(),
            "plan": self.plan,
            "group_by": list(self.group_by),
            "total": asdict(self.total),
            **{
                grouping.PLURAL[axis]: [asdict(g) for g in self.grouped[axis]]
                for axis in self.group_by
            },
            "schools": [asdict(s) for s in self.schools if not s.needs.empty],
            "lab_rooms_to_replace": [asdict(r) for r in self.rooms if r.replace],
            "horizon": [asdict(h) for h in self.horizon],
            "unknown_age": self.unknown_age,
            "devices": [device_dict(a, lang) for a in self.flagged()],
        }


def device_dict(a: Assessment, lang: str) -> dict[str, Any]:
    f = a.facts
    return {
        "school": f.school,
        "device": f.device,
        "kind": f.kind,
        "room": f.room,
        "year": f.year,
        "year_source": f.year_source,
        "age_years": a.age_years,
        "end_of_life_year": a.end_of_life_year,
        "score": a.score,
        "verdict": a.verdict,
        "reasons": [{"code": r.code, "points": r.points, "text": r.text(lang)} for r in a.reasons],
    }


def compute(
    store: InfluxStore,
    session: Session,
    scope: Scope,
    period: Period,
    *,
    as_of: int | None = None,
    targets: Targets | None = None,
    rules: ScoringRules | None = None,
    prices: Prices | None = None,
    progress: Callable[[str, int, int], None] = lambda step, done, total: None,
    plans: list[Plan] | None = None,
    plan: str | None = None,
    group_by: str | tuple[str, ...] | None = None,
) -> ProcurementPlan:
    """``plans``, ``plan`` and ``group_by`` as in ``readiness.compute``: the plan asked for
    limits the plan to its area's schools and its lab targets."""
    axes = parse_group_by(group_by)
    choice = resolve(session, plans, plan, targets)
    rules = rules or load_scoring()
    prices = prices or load_prices()
    measured = choice.measured.targets
    data = fetch(
        store, session, scope, period, measured.parameters, rules.pc.crash_gap_minutes, progress
    )
    data.schools = in_area(data.schools, choice, scope)
    return from_data(data, measured, rules, prices, as_of or period.end.year, axes, choice.measured)


def from_data(
    data: FleetData,
    targets: Targets,
    rules: ScoringRules,
    prices: Prices,
    as_of: int,
    axes: tuple[str, ...] = grouping.DEFAULT_GROUP_BY,
    measured: Plan | None = None,
) -> ProcurementPlan:
    plan = ProcurementPlan(
        str(data.scope),
        data.period,
        as_of,
        prices,
        Needs(),
        plan=(measured or plan_of(targets)).id,
        group_by=axes,
    )
    readiness = {s.id: judge_school(data, s, targets) for s in data.schools}
    lab_adds = choose_lab_additions(list(readiness.values()), targets, as_of)
    for school in data.schools:
        assessments = [assess(facts, rules, as_of) for facts in device_facts(data, school.id)]
        plan.assessments += assessments
        rooms = lab_rooms(school.id, assessments, rules)
        plan.rooms += rooms
        r = readiness[school.id]
        where = grouping.place(school)
        needs = school_needs(
            assessments,
            rooms,
            prices,
            rules.pcs_in_new_lab(school.level) if school.id in lab_adds else 0,
        )
        plan.schools.append(
            SchoolNeeds(
                school.id,
                school.name,
                school.district,
                r.district_name,
                school.level,
                school.students,
                needs,
                where.province,
                where.commune,
                where.managing_body,
                where.legacy_province,
            )
        )
        plan.total.add(needs)
    plan.unknown_age = sum(1 for a in plan.assessments if a.age_years is None)
    names = grouping.names(data.unit_names, data.schools)
    for axis in axes:
        plan.grouped[axis] = [
            _group(axis, ident, names.name(axis, ident), members)
            for ident, members in partition(plan.schools, axis, SchoolNeeds.place)
        ]
    plan.horizon = horizon(plan.assessments, plan.rooms, prices, as_of)
    return plan


def device_facts(data: FleetData, school: str) -> list[DeviceFacts]:
    registered = {d.device_id: d for d in data.registry.get(school, ())}
    out = []
    for device, kind in sorted(data.devices(school).items()):
        if kind not in SCORED_KINDS:
            continue
        key = (school, device)
        reg = registered.get(device)
        inv = data.inventory.get(key, {})
        proj = data.projector.get(key, {})
        smart = inv.get("smart_failed_count")
        if smart is None:  # count the per-disk verdicts when the total is absent
            disks = [v for k, v in inv.items() if k.startswith("last_disk") and v is not None]
            smart = sum(v == "failed" for v in disks) if disks else None
        room = (reg.room if reg else None) or (NO_ROOM if kind == "lab_pc" else None)
        out.append(
            DeviceFacts(
                school=school,
                device=device,
                kind=kind,
                room=room,
                purchase_year=reg.purchase_year if reg else None,
                bios_year=_year(inv.get("bios_date")),
                reports=data.reports.get(key, ("", 0))[1],
                school_reporting=school in data.reporting_schools,
                ram_bytes=inv.get("ram_bytes"),
                cpu_bits=inv.get("cpu_bits"),
                smart_failed=int(smart) if smart is not None else None,
                crashes=data.crashes.get(key, 0),
                disk_used_percent=data.disk_used.get(key),
                lamp_hours=proj.get("lamp_hours"),
                lamp_rated_hours=proj.get("lamp_rated_hours"),
                pjlink_error=bool(proj["error"]) if proj.get("error") is not None else None,
                reachable_percent=data.board_reachable.get(key),
            )
        )
    return out


def _year(bios_date: object) -> int | None:
    """The year of an inventory ``bios_date`` (``YYYY-MM-DD``); None when absent or garbled."""
    text = str(bios_date or "")[:4]
    return int(text) if text.isdigit() and 1980 <= int(text) <= 2100 else None


def lab_rooms(school: str, assessments: list[Assessment], rules: ScoringRules) -> list[LabRoom]:
    rooms: dict[str, list[Assessment]] = {}
    for a in assessments:
        if a.facts.kind == "lab_pc":
            rooms.setdefault(a.facts.room or NO_ROOM, []).append(a)
    out = []
    for room, members in sorted(rooms.items()):
        flagged = sum(a.verdict == "replace" for a in members)
        years = [a.facts.year for a in members if a.facts.year]
        year = int(statistics.median_low(years)) if years else None
        out.append(
            LabRoom(
                school,
                room,
                len(members),
                flagged,
                flagged >= rules.lab_replace_share * len(members),
                year,
                year + rules.pc.life_years + 1 if year else None,
            )
        )
    return out


def school_needs(
    assessments: list[Assessment], rooms: list[LabRoom], prices: Prices, new_lab_pcs: int
) -> Needs:
    replaced_rooms = {r.room for r in rooms if r.replace}
    n = Needs()
    for a in assessments:
        if a.verdict != "replace":
            continue
        kind = a.facts.kind
        if kind == "lab_pc" and a.facts.room in replaced_rooms:
            continue
        if kind in PC_KINDS:
            n.pcs += 1
        elif kind == "projector":
            n.projectors += 1
        elif kind == "board":
            n.boards += 1
    for r in rooms:
        if r.replace:
            n.labs_replace += 1
            n.lab_pcs_replace += r.pcs
    if new_lab_pcs:
        n.labs_add, n.lab_pcs_add = 1, new_lab_pcs
    n.cost = cost(n, rooms, prices)
    return n


def cost(n: Needs, rooms: list[LabRoom], prices: Prices) -> int:
    items = prices.items
    labs = sum(prices.lab_room(r.pcs) for r in rooms if r.replace)
    added = n.labs_add * items.lab_room_fixed + n.lab_pcs_add * items.pc
    return n.pcs * items.pc + labs + added + n.projectors * items.projector + n.boards * items.board


def choose_lab_additions(schools: list[SchoolReadiness], targets: Targets, as_of: int) -> set[str]:
    """Schools that get a new lab: per level, enough of those without one (on record or
    working) to reach the target share, the largest enrolment first."""
    chosen: set[str] = set()
    for level in LAB_TARGET_LEVELS:
        target = targets.target(f"lab_{level}", as_of)
        members = [s for s in schools if s.level == level]
        if target is None or not members:
            continue
        without = [s for s in members if not (s.has_lab_on_record or s.has_working_lab)]
        needed = max(
            0, math.ceil(target.value / 100 * len(members) - 1e-9) - (len(members) - len(without))
        )
        without.sort(key=lambda s: (-(s.students or 0), s.id))
        chosen.update(s.id for s in without[:needed])
    return chosen


def horizon(
    assessments: list[Assessment], rooms: list[LabRoom], prices: Prices, as_of: int
) -> list[HorizonYear]:
    """What reaches its end of life in each of the next five years (not already to replace)."""
    years = [HorizonYear(as_of + i, Needs()) for i in range(1, HORIZON_YEARS + 1)]
    by_year = {h.year: h.needs for h in years}
    for a in assessments:
        if a.verdict == "replace" or a.facts.kind == "lab_pc" or a.end_of_life_year not in by_year:
            continue
        n = by_year[a.end_of_life_year]
        kind = a.facts.kind
        if kind in PC_KINDS:
            n.pcs += 1
            n.cost += prices.items.pc
        elif kind == "projector":
            n.projectors += 1
            n.cost += prices.items.projector
        elif kind == "board":
            n.boards += 1
            n.cost += prices.items.board
    for r in rooms:
        if not r.replace and r.end_of_life_year in by_year:
            n = by_year[r.end_of_life_year]
            n.labs_replace += 1
            n.lab_pcs_replace += r.pcs
            n.cost += prices.lab_room(r.pcs)
    return years


def _group(kind: str, ident: str, name: str, schools: list[SchoolNeeds]) -> GroupNeeds:
    g = GroupNeeds(kind, ident, name, Needs())
    for s in schools:
        g.needs.add(s.needs)
    return g
