"""Replacement rules (``defaults/scoring.yaml``): a transparent score with its reasons.

Every rule that holds adds its points and a reason with the measured value in it, written in
the reader's language when it is shown ("RAM 1,0 GiB, dưới mức tối thiểu 2,0 GiB"; English
"RAM 1.0 GiB, below the minimum 2.0 GiB"): a reason is a message of the catalogue with its
arguments (``i18n.Deferred``), not a frozen pair of strings. Nothing is hidden in a
weight: the score is the sum of the reasons' points, the verdict a threshold on the score.
``assess(facts, rules, as_of)`` takes a ``DeviceFacts`` (what the registry and InfluxDB say
about one device) and returns an ``Assessment``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schoolnet_collector.i18n import Deferred, Num, Pct, deferred
from schoolnet_collector.planning.files import load_model

PC_KINDS = ("lab_pc", "admin_pc", "teacher_pc")
SCORED_KINDS = (*PC_KINDS, "projector", "board")
GIB = 1024**3


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PcRules(Strict):
    life_years: int = Field(8, ge=1)
    min_ram_bytes: int = Field(2 * GIB, ge=0)
    disk_full_percent: float = Field(90, gt=0, le=100)
    crash_gap_minutes: float = Field(30, gt=0)
    crashes_max: int = Field(2, ge=0)


class ProjectorRules(Strict):
    life_years: int = Field(8, ge=1)


class BoardRules(Strict):
    life_years: int = Field(10, ge=1)
    min_reachable_percent: float = Field(80, ge=0, le=100)


class Points(Strict):
    end_of_life: float = 60
    smart_failed: float = 60
    not_reporting: float = 30
    crashes: float = 20
    disk_full: float = 10
    ram_low: float = 30
    cpu_32bit: float = 40
    lamp_past_rating: float = 20
    pjlink_error: float = 40
    board_unreachable: float = 30


class Verdicts(Strict):
    replace: float = Field(60, gt=0)
    watch: float = Field(30, gt=0)


class ScoringRules(Strict):
    format: Literal[1]
    pc: PcRules = PcRules()
    projector: ProjectorRules = ProjectorRules()
    board: BoardRules = BoardRules()
    points: Points = Points()
    verdicts: Verdicts = Verdicts()
    lab_replace_share: float = Field(0.5, gt=0, le=1)
    new_lab_pcs: dict[str, int] = Field(default_factory=lambda: {"default": 25})

    def life_years(self, kind: str) -> int:
        return {"projector": self.projector.life_years, "board": self.board.life_years}.get(
            kind, self.pc.life_years
        )

    def pcs_in_new_lab(self, level: str) -> int:
        return self.new_lab_pcs.get(level, self.new_lab_pcs.get("default", 25))


def load_scoring(path: Path | str | None = None) -> ScoringRules:
    return load_model(path, "scoring.yaml", ScoringRules)


@dataclass
class DeviceFacts:
    """What is known of one device; None = not known (no rule fires on an unknown)."""

    school: str
    device: str
    kind: str
    room: str | None = None
    purchase_year: int | None = None  # registry (equipment file)
    bios_year: int | None = None  # inventory bios_date
    reports: int = 0  # reports in the period
    school_reporting: bool = False  # the school's gateway or another device reported
    ram_bytes: float | None = None
    cpu_bits: float | None = None
    smart_failed: int | None = None
    crashes: int = 0
    disk_used_percent: float | None = None
    lamp_hours: float | None = None
    lamp_rated_hours: float | None = None
    pjlink_error: bool | None = None
    reachable_percent: float | None = None

    @property
    def year(self) -> int | None:
        """The BIOS date's year when the inventory has one (what the machine says), else the
        purchase year from the equipment file."""
        return self.bios_year or self.purchase_year

    @property
    def year_source(self) -> str | None:
        return "bios" if self.bios_year else "purchase" if self.purchase_year else None


@dataclass
class Reason:
    code: str
    points: float
    message: Deferred

    def text(self, lang: str) -> str:
        return self.message.render(lang)


@dataclass
class Assessment:
    facts: DeviceFacts
    age_years: int | None
    end_of_life_year: int | None  # the first year the device is past its life
    score: float
    verdict: str  # replace | watch | ok
    reasons: list[Reason] = field(default_factory=list)

    def reasons_text(self, lang: str) -> str:
        return "; ".join(r.text(lang) for r in self.reasons)


def assess(f: DeviceFacts, rules: ScoringRules, as_of: int) -> Assessment:
    p = rules.points
    reasons: list[Reason] = []

    def add(code: str, message: Deferred) -> None:
        reasons.append(Reason(code, getattr(p, code), message))

    life = rules.life_years(f.kind)
    year = f.year
    age = as_of - year if year else None
    eol_year = year + life + 1 if year else None
    if age is not None and age > life:
        known = {"age": age, "year": str(year), "life": life}
        add(
            "end_of_life",
            deferred("%(age)s years old (BIOS date %(year)s), past its %(life)s-year life", **known)
            if f.year_source == "bios"
            else deferred(
                "%(age)s years old (purchase year %(year)s), past its %(life)s-year life", **known
            ),
        )
    if f.reports == 0 and f.school_reporting:
        add("not_reporting", deferred("sent no report in the period (broken or unused)"))
    if f.kind in PC_KINDS:
        _pc_rules(f, rules, add)
    elif f.kind == "projector":
        if f.lamp_hours is not None and f.lamp_rated_hours and f.lamp_hours >= f.lamp_rated_hours:
            add(
                "lamp_past_rating",
                deferred(
                    "lamp at %(hours)s h, past its rated %(rated)s h",
                    hours=Num(f.lamp_hours, 0),
                    rated=Num(f.lamp_rated_hours, 0),
                ),
            )
        if f.pjlink_error:
            add("pjlink_error", deferred("projector reports an error (PJLink)"))
    elif f.kind == "board" and (
        f.reports
        and f.reachable_percent is not None
        and f.reachable_percent < rules.board.min_reachable_percent
    ):
        add(
            "board_unreachable",
            deferred(
                "board reachable only %(share)s of the time (minimum %(minimum)s)",
                share=Pct(f.reachable_percent / 100),
                minimum=Pct(rules.board.min_reachable_percent / 100),
            ),
        )
    score = sum(r.points for r in reasons)
    verdict = (
        "replace"
        if score >= rules.verdicts.replace
        else "watch"
        if score >= rules.verdicts.watch
        else "ok"
    )
    return Assessment(f, age, eol_year, score, verdict, reasons)


def _pc_rules(f: DeviceFacts, rules: ScoringRules, add: Callable[[str, Deferred], None]) -> None:
    pc = rules.pc
    if f.smart_failed:
        add("smart_failed", deferred("%(count)s disk(s) failing SMART", count=f.smart_failed))
    if f.crashes > pc.crashes_max:
        add(
            "crashes",
            deferred("%(count)s unexpected restarts in the period", count=f.crashes),
        )
    if f.disk_used_percent is not None and f.disk_used_percent >= pc.disk_full_percent:
        add("disk_full", deferred("disk %(used)s full", used=Pct(f.disk_used_percent / 100)))
    if f.ram_bytes is not None and f.ram_bytes < pc.min_ram_bytes:
        add(
            "ram_low",
            deferred(
                "RAM %(ram)s GiB, below the minimum %(minimum)s GiB",
                ram=Num(f.ram_bytes / GIB, 1),
                minimum=Num(pc.min_ram_bytes / GIB, 1),
            ),
        )
    if f.cpu_bits == 32:
        add("cpu_32bit", deferred("CPU runs 32-bit software only"))
