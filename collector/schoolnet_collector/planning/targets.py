"""Plan targets (``defaults/targets.yaml``): each indicator's milestones and the plan that set it.

``Targets.target(key, year)`` picks the milestone that applies in ``year``: the first one at
or after it, or the last one when every milestone has passed (a plan's 2025 figure still
stands in 2026 until a new plan replaces it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schoolnet_collector.planning.files import load_model


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetSpec(Strict):
    milestones: dict[int, float] = Field(min_length=1)
    unit: Literal["percent", "count"] = "percent"
    op: Literal[">=", "<="] = ">="
    source: str = Field(min_length=1)


class SchoolHours(Strict):
    start: int = Field(7, ge=0, le=23)
    end: int = Field(17, ge=1, le=24)


class MeetingPoint(Strict):
    min_availability_percent: float = Field(95, ge=0, le=100)
    max_rtt_ms: float = Field(150, gt=0)
    max_loss_percent: float = Field(2, ge=0, le=100)


class Parameters(Strict):
    lab_min_working_pcs: int = Field(3, ge=1)
    school_hours: SchoolHours = SchoolHours()
    timezone: str = "Asia/Ho_Chi_Minh"
    meeting_point: MeetingPoint = MeetingPoint()


PLAN_ID = r"^[a-z0-9][a-z0-9_-]{0,62}$"  # pydantic's regex: $ is the very end


class PlanSpec(Strict):
    """Which plan the targets are (``planning.plans``): its id (``--plan``, ``plan=``), its
    title, and its area: a unit code of the registry, the province or a former province whose
    schools it was written for; no area: the whole province."""

    id: str = Field(pattern=PLAN_ID)
    name: str = Field(min_length=1, max_length=200)
    area: str | None = Field(None, pattern=PLAN_ID)


class TargetsFile(Strict):
    format: Literal[1]
    plan: PlanSpec | None = None
    targets: dict[str, TargetSpec]
    parameters: Parameters = Parameters()


@dataclass(frozen=True)
class Target:
    value: float
    year: int  # the milestone's year
    op: str
    unit: str
    source: str

    def gap(self, value: float | None) -> float | None:
        """How far ``value`` falls short of the target (0 when met; None when unknown)."""
        if value is None:
            return None
        short = self.value - value if self.op == ">=" else value - self.value
        return round(max(0.0, short), 2)


class Targets:
    def __init__(self, data: TargetsFile):
        self.data = data
        self.parameters = data.parameters

    def target(self, key: str, year: int) -> Target | None:
        spec = self.data.targets.get(key)
        if spec is None:
            return None
        years = sorted(spec.milestones)
        chosen = next((y for y in years if y >= year), years[-1])
        return Target(spec.milestones[chosen], chosen, spec.op, spec.unit, spec.source)


def load_targets(path: Path | str | None = None) -> Targets:
    return Targets(load_model(path, "targets.yaml", TargetsFile))
