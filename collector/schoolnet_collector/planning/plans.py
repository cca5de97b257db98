"""Plans: each set of targets belongs to a plan with its own area.

A Sở formed by the 2025 merger answers for two or three old provincial plans, each with its
own targets, until it issues a new one; each old plan is measured on the schools of its own
area (a former province: the schools whose ``legacy_province`` it is), and the province as a
whole is measured too. A plan is a targets file (``defaults/targets.yaml``) with a ``plan:``
section naming it::

    plan: {id: yen-bai-2020, name: "Kế hoạch CNTT Yên Bái 2020-2025", area: yen-bai-cu}

``[planning] plans = ["targets-lao-cai.yaml", "targets-yen-bai.yaml"]`` in the collector's
config lists a Sở's plans (the API and the pages read them; ``report --targets FILE`` uses one
file instead). Without any, the packaged targets are the one plan, for the whole province.

An area must be a unit of the registry: the province (all its schools) or a former province.
A plan whose area the registry does not have is a :class:`PlanAreaError`, never a plan
measured on no school: the units file has not been imported, or the plan names a unit that
does not exist, and the planner must hear which.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolnet_collector.i18n import N_
from schoolnet_collector.planning.files import PlanningFileError
from schoolnet_collector.planning.period import ReportArgumentError
from schoolnet_collector.planning.targets import Targets, load_targets
from schoolnet_collector.registry.models import School, Unit
from schoolnet_collector.registry.units import LEGACY_PROVINCE_TYPES, PROVINCE_TYPES

DEFAULT_PLAN_ID = "default"
DEFAULT_PLAN_NAME = N_("Plan targets (packaged defaults)")
"""The packaged plan's name (a report shows it in the reader's language)."""
SAMPLE = Path(__file__).resolve().parent / "defaults" / "plan-yen-bai-2020.yaml"
"""A second plan for a former province, to copy: ``[planning] plans`` may name it as it is."""


class UnknownPlan(ReportArgumentError):
    """A plan id that no configured plan has; the message lists the ones there are."""


class PlanAreaError(ValueError):
    """A plan's area is not a province or former province of the registry. Not the caller's
    mistake but the configuration's (the API answers 503): the message names plan and area."""


@dataclass(frozen=True)
class Plan:
    id: str
    name: str
    area: str | None  # a unit code; None: the whole province
    targets: Targets
    source: str  # the file it came from, for messages


def plan_of(targets: Targets, source: str = "packaged targets") -> Plan:
    spec = targets.data.plan
    if spec is None:
        return Plan(DEFAULT_PLAN_ID, DEFAULT_PLAN_NAME.translate("vi"), None, targets, source)
    return Plan(spec.id, spec.name, spec.area, targets, source)


def load_plans(paths: Sequence[Path | str] = ()) -> list[Plan]:
    """The plans of these files, in order; none: the packaged targets as the one plan. Two
    files with one plan id are a :class:`PlanningFileError` naming both."""
    if not paths:
        return [plan_of(load_targets())]
    out: list[Plan] = []
    for path in paths:
        plan = plan_of(load_targets(path), str(path))
        twin = next((p for p in out if p.id == plan.id), None)
        if twin is not None:
            raise PlanningFileError(
                f"{path}: plan id {plan.id!r} is already the id of the plan in {twin.source}"
            )
        out.append(plan)
    return out


def choose(plans: Sequence[Plan], plan_id: str) -> Plan:
    for plan in plans:
        if plan.id == plan_id:
            return plan
    known = ", ".join(p.id for p in plans)
    raise UnknownPlan(f"plan {plan_id[:63]!r}: no such plan; the plans are: {known}")


@dataclass(frozen=True)
class Area:
    """A plan's area as the registry knows it: ``province`` (its schools by ``province``),
    ``legacy_province`` (by ``legacy_province``) or ``all`` (no area named)."""

    kind: str
    code: str | None = None

    def holds(self) -> Callable[[School], bool]:
        if self.kind == "province":
            return lambda s: s.province == self.code
        if self.kind == "legacy_province":
            return lambda s: (s.legacy_province or s.province) == self.code
        return lambda s: True

    @property
    def whole(self) -> bool:
        return self.kind != "legacy_province"


def area_of(session: Session, plan: Plan) -> Area:
    """The plan's area, checked against the registry's units (:class:`PlanAreaError`)."""
    if plan.area is None:
        return Area("all")
    unit_type = session.scalar(select(Unit.type).where(Unit.code == plan.area))
    if unit_type is None:
        raise PlanAreaError(
            f"plan {plan.id!r} ({plan.source}): its area {plan.area!r} is not a unit in the "
            "registry; import the units file (units import) or correct the plan's area"
        )
    if unit_type in PROVINCE_TYPES:
        return Area("province", plan.area)
    if unit_type in LEGACY_PROVINCE_TYPES:
        return Area("legacy_province", plan.area)
    raise PlanAreaError(
        f"plan {plan.id!r} ({plan.source}): its area {plan.area!r} is a unit of type "
        f"{unit_type!r}; a plan's area is a province or a former province (tinh_cu)"
    )


def primary(plans: Sequence[Plan], areas: dict[str, Area]) -> Plan:
    """The plan the province as a whole is measured against: the first whose area is the
    whole province, else the first plan."""
    return next((p for p in plans if areas[p.id].whole), plans[0])


@dataclass(frozen=True)
class PlanChoice:
    """The plans of one report: ``measured`` is the plan the total and the groups use;
    ``chosen`` the one asked for (its area only), if any; every plan's checked area."""

    plans: list[Plan]
    measured: Plan
    chosen: Plan | None
    areas: dict[str, Area]


def resolve(
    session: Session,
    plans: Sequence[Plan] | None,
    plan_id: str | None = None,
    targets: Targets | None = None,
) -> PlanChoice:
    """``plans`` (default: ``targets`` as the one plan) with their areas checked, and the one
    ``plan_id`` names (``UnknownPlan``) or the primary one. Every area is checked, not only
    the one asked for: a wrong plan is a wrong configuration whichever report is asked."""
    listed = list(plans or [plan_of(targets or load_targets())])
    chosen = choose(listed, plan_id) if plan_id is not None else None
    areas = {p.id: area_of(session, p) for p in listed}
    return PlanChoice(listed, chosen or primary(listed, areas), chosen, areas)


def in_area(schools: list[School], choice: PlanChoice, scope: object) -> list[School]:
    """The schools of the chosen plan's area (all of them when none is chosen); a scope with
    none of the area's schools is a ``ReportArgumentError``."""
    if choice.chosen is None:
        return schools
    holds = choice.areas[choice.chosen.id].holds()
    kept = [s for s in schools if holds(s)]
    if not kept:
        raise ReportArgumentError(
            f"plan {choice.chosen.id!r}: no school of its area {choice.chosen.area!r} is in "
            f"scope {scope}"
        )
    return kept
