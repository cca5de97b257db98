"""Readiness against the plan targets: per school, rolled up by the groupings asked for
(``grouping``: province, managing body, commune, level, legacy district, legacy province) and
for each plan on its own area (``plans``).

``compute(store, session, scope, period, ...) -> Readiness`` reads the registry and InfluxDB
once (``fleetdata.fetch``), judges each school (``SchoolReadiness``), then sums the schools of
each group into indicators. Shares are sums over schools (numerator / denominator, both kept),
so a commune's figure is exactly the figure of its schools; medians are medians of the
schools' medians. Each indicator with a plan target carries the target of the year ``as_of``
and the gap. The total and the groups are measured against one plan (the one asked for, else
the plan for the whole province); ``plans`` measures every plan on the schools of its own
area against its own targets, so a merged Sở sees each old plan and the province side by side.
Sites of units (the Sở's office, a commune office) are not schools and are in no figure, in
any grouping: ``fleetdata.fetch`` reads the schools of ``scope.scope_schools`` only.
docs/planning.md says how every indicator is measured.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from schoolnet_collector.core.access import Scope
from schoolnet_collector.planning import grouping, labels
from schoolnet_collector.planning.fleetdata import FleetData, fetch
from schoolnet_collector.planning.grouping import Place, parse_group_by, partition
from schoolnet_collector.planning.period import Period
from schoolnet_collector.planning.plans import Area, Plan, in_area, plan_of, resolve
from schoolnet_collector.planning.scoring import PC_KINDS, ScoringRules, load_scoring
from schoolnet_collector.planning.targets import Target, Targets
from schoolnet_collector.registry.models import School
from schoolnet_collector.storage.influx import InfluxStore

LAB_TARGET_LEVELS = ("mam_non", "tieu_hoc", "thcs", "thpt")  # levels the plans set lab targets for


@dataclass
class SchoolReadiness:
    id: str
    name: str
    district: str  # the legacy district
    district_name: str
    level: str
    students: int | None
    province: str
    commune: str  # ``unassigned`` until the school has one
    managing_body: str  # commune | province | unassigned
    legacy_province: str
    uplink: str  # fixed | cellular | none
    school_hours_up: float
    school_hours_samples: int
    rtt_ms: float | None
    loss_percent: float | None
    lab_pcs_on_record: int
    lab_pcs_working: int
    has_working_lab: bool
    pcs_on_record: int
    pcs_working: int
    projectors_on_record: int
    projectors_working: int
    boards_on_record: int
    boards_working: int
    devices_on_record: int
    devices_with_inventory: int
    meeting_point: bool

    @property
    def has_internet(self) -> bool:
        return self.uplink != "none"

    def place(self) -> Place:
        return Place(
            self.province,
            self.managing_body,
            self.commune,
            self.level,
            self.district,
            self.legacy_province,
        )

    @property
    def has_lab_on_record(self) -> bool:
        return self.lab_pcs_on_record > 0

    @property
    def availability_percent(self) -> float | None:
        if not self.school_hours_samples:
            return None
        return round(100.0 * self.school_hours_up / self.school_hours_samples, 2)


@dataclass
class Indicator:
    key: str
    label_vi: str
    label_en: str
    unit: str  # percent | count | ms | ratio
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    target: Target | None = None
    gap: float | None = None

    def label(self, lang: str) -> str:
        return self.label_vi if lang == "vi" else self.label_en

    def as_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in asdict(self).items() if k != "target"}
        d["target"] = (
            None
            if self.target is None
            else {
                "value": self.target.value,
                "year": self.target.year,
                "op": self.target.op,
                "source": self.target.source,
            }
        )
        return d


@dataclass
class Group:
    kind: str  # province | plan | a scope's kind | one of grouping.AXES
    id: str
    name: str
    schools: int
    indicators: list[Indicator]
    area: str | None = None  # a plan's area (kind "plan")

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "schools": self.schools,
            "indicators": [i.as_dict() for i in self.indicators],
        }
        if self.kind == "plan":
            out["area"] = self.area
        return out


@dataclass
class Readiness:
    scope: str
    period: Period
    as_of: int
    total: Group
    plan: str  # the plan the total and the groups are measured against
    group_by: tuple[str, ...] = grouping.DEFAULT_GROUP_BY
    grouped: dict[str, list[Group]] = field(default_factory=dict)  # axis -> its groups
    plans: list[Group] = field(default_factory=list)  # each plan on its own area
    schools: list[SchoolReadiness] = field(default_factory=list)

    def groups(self) -> list[Group]:
        return [self.total, *self.plans, *(g for a in self.group_by for g in self.grouped[a])]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (the API's and the CLI's ``--format json``)."""
        return {
            "scope": self.scope,
            "period": {
                "text": self.period.text,
                "start": self.period.start.isoformat(),
                "end": self.period.end.isoformat(),
            },
            "as_of": self.as_of,
            "plan": self.plan,
            "group_by": list(self.group_by),
            "total": self.total.as_dict(),
            "plans": [g.as_dict() for g in self.plans],
            **{
                grouping.PLURAL[axis]: [g.as_dict() for g in self.grouped[axis]]
                for axis in self.group_by
            },
            "schools": [
                dict(
                    asdict(s),
                    has_internet=s.has_internet,
                    availability_percent=s.availability_percent,
                )
                for s in self.schools
            ],
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
    progress: Callable[[str, int, int], None] = lambda step, done, total: None,
    plans: list[Plan] | None = None,
    plan: str | None = None,
    group_by: str | tuple[str, ...] | None = None,
) -> Readiness:
    """``plans``: the Sở's plans (default: ``targets`` as the one plan); ``plan``: measure
    only that plan's area against its targets (``UnknownPlan`` naming the plans otherwise);
    ``group_by``: axes of ``grouping`` (``GroupByError`` naming them). A plan whose area is
    not in the registry raises ``PlanAreaError``."""
    axes = parse_group_by(group_by)
    choice = resolve(session, plans, plan, targets)
    rules = rules or load_scoring()
    data = fetch(
        store,
        session,
        scope,
        period,
        choice.measured.targets.parameters,
        rules.pc.crash_gap_minutes,
        progress,
    )
    data.schools = in_area(data.schools, choice, scope)
    return from_data(
        data,
        choice.measured.targets,
        as_of or period.end.year,
        axes,
        plan=choice.measured,
        plans=[] if choice.chosen else [(p, choice.areas[p.id]) for p in choice.plans],
        total_is_plan=choice.chosen is not None,
    )


def from_data(
    data: FleetData,
    targets: Targets,
    as_of: int,
    axes: tuple[str, ...] = grouping.DEFAULT_GROUP_BY,
    *,
    plan: Plan | None = None,
    plans: list[tuple[Plan, Area]] | None = None,
    total_is_plan: bool = False,
) -> Readiness:
    """The readiness of ``data``'s schools against ``targets`` (``plan``'s), grouped on
    ``axes``; each of ``plans`` measured on its own area against its own targets. A plan's
    figure over the whole province carries the province-only indicators (meeting points,
    districts meeting online) with that plan's targets. ``total_is_plan``: ``data`` holds
    only ``plan``'s area, and the total is that plan's figure."""
    schools = [judge_school(data, s, targets) for s in data.schools]
    province = data.scope.kind == "province"
    plan = plan or plan_of(targets)
    total_name = labels.column("province", "vi") if province else str(data.scope)
    kind, ident = ("province" if province else data.scope.kind), data.scope.id or "province"
    if total_is_plan:
        kind, ident, total_name = "plan", plan.id, plan.name
    total = roll_up(kind, ident, total_name, schools, targets, as_of, whole_province=province)
    total.area = plan.area if total_is_plan else None
    out = Readiness(
        str(data.scope),
        data.period,
        as_of,
        total,
        plan=plan.id,
        group_by=axes,
        schools=schools,
    )
    for p, area in plans or ():
        holds = area.holds()
        ids = {s.id for s in data.schools if holds(s)}
        members = [s for s in schools if s.id in ids]
        figure = roll_up("plan", p.id, p.name, members, p.targets, as_of, whole_province=province)
        figure.area = p.area
        out.plans.append(figure)
    names = grouping.names(data.unit_names, data.schools)
    for axis in axes:
        out.grouped[axis] = [
            roll_up(axis, ident, names.name(axis, ident), members, targets, as_of)
            for ident, members in partition(schools, axis, SchoolReadiness.place)
        ]
    return out


def _level_rank(level: str) -> int:
    order = labels.LEVEL_ORDER
    return order.index(level) if level in order else len(order)


def judge_school(data: FleetData, school: School, targets: Targets) -> SchoolReadiness:
    p = targets.parameters
    devices = data.devices(school.id)
    reports = {d: data.reports.get((school.id, d), ("", 0))[1] for d in devices}

    def count(kinds: tuple[str, ...], working: Callable[[str], bool] | None = None) -> int:
        return sum(1 for d, k in devices.items() if k in kinds and (working is None or working(d)))

    def reported(d: str) -> bool:
        return reports[d] > 0

    def projector_ok(d: str) -> bool:
        p_ = data.projector.get((school.id, d))
        return p_ is not None and not p_.get("error")

    def board_ok(d: str) -> bool:
        return data.board_reachable.get((school.id, d), 0.0) > 0

    up = data.uplink.get(school.id)
    if up is None or not up.ever_up:
        uplink = "none"
    else:
        uplink = "fixed" if up.fixed_share >= 0.5 else "cellular"
    lab_working = count(("lab_pc",), reported)
    mp = p.meeting_point
    availability = (
        100.0 * up.school_hours_up / up.school_hours_samples
        if up and up.school_hours_samples
        else None
    )
    meeting = (
        uplink == "fixed"
        and up is not None  # (a fixed uplink has its statistics)
        and availability is not None
        and availability >= mp.min_availability_percent
        and up.rtt_ms is not None
        and up.rtt_ms <= mp.max_rtt_ms
        and up.loss_percent is not None
        and up.loss_percent <= mp.max_loss_percent
    )
    where = grouping.place(school)
    return SchoolReadiness(
        id=school.id,
        name=school.name,
        district=school.district,
        district_name=school.district_name or school.district,
        level=school.level,
        students=school.students,
        province=where.province,
        commune=where.commune,
        managing_body=where.managing_body,
        legacy_province=where.legacy_province,
        uplink=uplink,
        school_hours_up=up.school_hours_up if up else 0.0,
        school_hours_samples=up.school_hours_samples if up else 0,
        rtt_ms=up.rtt_ms if up else None,
        loss_percent=up.loss_percent if up else None,
        lab_pcs_on_record=count(("lab_pc",)),
        lab_pcs_working=lab_working,
        has_working_lab=lab_working >= p.lab_min_working_pcs,
        pcs_on_record=count(PC_KINDS),
        pcs_working=count(PC_KINDS, reported),
        projectors_on_record=count(("projector",)),
        projectors_working=count(("projector",), projector_ok),
        boards_on_record=count(("board",)),
        boards_working=count(("board",), board_ok),
        devices_on_record=len(devices),
        devices_with_inventory=sum(1 for d in devices if (school.id, d) in data.inventory),
        meeting_point=bool(meeting),
    )


def _share(
    key: str,
    num: float,
    den: float,
    target: Target | None = None,
    label_args: Mapping[str, object] | None = None,  # the label's placeholders
) -> Indicator:
    text = labels.INDICATORS[key.split(":")[0]]
    args = label_args or {}
    vi, en = text.translate("vi", **args), text.translate("en", **args)
    value = round(100.0 * num / den, 1) if den else None
    return Indicator(
        key, vi, en, "percent", value, num, den, target, target.gap(value) if target else None
    )


def _plain(
    key: str,
    unit: str,
    value: float | None,
    target: Target | None = None,
    num: float | None = None,
    den: float | None = None,
) -> Indicator:
    text = labels.INDICATORS[key]
    vi, en = text.translate("vi"), text.translate("en")
    value = None if value is None else round(value, 2)
    return Indicator(
        key, vi, en, unit, value, num, den, target, target.gap(value) if target else None
    )


def roll_up(
    kind: str,
    ident: str,
    name: str,
    schools: list[SchoolReadiness],
    targets: Targets,
    as_of: int,
    whole_province: bool = False,
) -> Group:
    t: Callable[[str], Target | None] = lambda key: targets.target(key, as_of)  # noqa: E731
    n = len(schools)
    out = [
        _plain("schools", "count", n),
        _share("internet", sum(s.has_internet for s in schools), n, t("internet")),
        _share(
            "fixed_broadband", sum(s.uplink == "fixed" for s in schools), n, t("fixed_broadband")
        ),
        _share("cellular", sum(s.uplink == "cellular" for s in schools), n),
        _share("no_internet", sum(s.uplink == "none" for s in schools), n),
        _share(
            "availability",
            sum(s.school_hours_up for s in schools),
            sum(s.school_hours_samples for s in schools),
        ),
        _plain("rtt_ms", "ms", _median([s.rtt_ms for s in schools])),
        _plain("loss_percent", "percent", _median([s.loss_percent for s in schools])),
    ]
    for level in sorted({s.level for s in schools}, key=_level_rank):
        members = [s for s in schools if s.level == level]
        names = {"level": labels.LEVELS.get(level, level)}  # the level in the label's language
        target = t(f"lab_{level}") if level in LAB_TARGET_LEVELS else None
        out.append(
            _share(
                f"lab:{level}", sum(s.has_working_lab for s in members), len(members), target, names
            )
        )
        out.append(
            _share(
                f"lab_record:{level}",
                sum(s.has_lab_on_record for s in members),
                len(members),
                None,
                names,
            )
        )
    enrolled = [s for s in schools if s.students]
    lab_pcs = sum(s.lab_pcs_working for s in enrolled)
    out += [
        _share(
            "pcs_working",
            sum(s.pcs_working for s in schools),
            sum(s.pcs_on_record for s in schools),
        ),
        _plain(
            "students_per_pc",
            "ratio",
            sum(s.students or 0 for s in enrolled) / lab_pcs if lab_pcs else None,
            None,
            sum(s.students or 0 for s in enrolled),
            lab_pcs,
        ),
        _share(
            "projectors_working",
            sum(s.projectors_working for s in schools),
            sum(s.projectors_on_record for s in schools),
        ),
        _share(
            "boards_working",
            sum(s.boards_working for s in schools),
            sum(s.boards_on_record for s in schools),
        ),
        _share(
            "digital_record",
            sum(s.devices_with_inventory for s in schools),
            sum(s.devices_on_record for s in schools),
            t("digital_record"),
        ),
    ]
    meeting = sum(s.meeting_point for s in schools if s.level == "thpt")
    out.append(
        _plain("meeting_points", "count", meeting, t("meeting_points") if whole_province else None)
    )
    if whole_province:
        districts = {s.district for s in schools}
        with_point = {s.district for s in schools if s.meeting_point}
        out.append(
            _share(
                "districts_meeting_online",
                len(with_point),
                len(districts),
                t("districts_meeting_online"),
            )
        )
    return Group(kind, ident, name, n, out)


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None and not math.isnan(v)]
    return statistics.median(present) if present else None
