"""The readiness report: how far the schools in scope are from the plan targets
(``planning/readiness.py`` computes it; ``planning/tables.py`` lays it out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schoolnet_collector.i18n import N_
from schoolnet_collector.planning import readiness
from schoolnet_collector.planning.readiness import Readiness
from schoolnet_collector.planning.reports.base import Inputs, Progress, Report, no_progress
from schoolnet_collector.planning.tables import readiness_tables

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from schoolnet_collector.core.access import Scope
    from schoolnet_collector.planning.period import Period
    from schoolnet_collector.planning.tables import Table
    from schoolnet_collector.storage.influx import InfluxStore


class ReadinessReport(Report[Readiness]):
    name = "readiness"
    title = N_("Readiness against the plan targets")
    description = N_(
        "Internet, working labs, devices and link quality of the schools in scope, each "
        "against the target of each plan for its own area and the gap to it, by managing "
        "body, commune, level or former district."
    )

    def compute(
        self,
        store: InfluxStore,
        session: Session,
        scope: Scope,
        period: Period,
        *,
        as_of: int | None = None,
        inputs: Inputs | None = None,
        progress: Progress = no_progress,
        plan: str | None = None,
        group_by: tuple[str, ...] | None = None,
    ) -> Readiness:
        return readiness.compute(
            store,
            session,
            scope,
            period,
            as_of=as_of,
            targets=inputs.targets if inputs else None,
            rules=inputs.rules if inputs else None,
            progress=progress,
            plans=inputs.plans if inputs else None,
            plan=plan,
            group_by=group_by,
        )

    def as_json(self, report: Readiness, lang: str) -> dict[str, Any]:
        return report.as_dict()  # its words are keys; the tables translate them

    def tables(self, report: Readiness, lang: str) -> list[Table]:
        return readiness_tables(report, lang)
