"""The replacement plan: which devices and labs to replace or add, what it costs, and the
five-year horizon (``planning/procurement.py`` computes it; ``planning/tables.py`` lays it
out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schoolnet_collector.i18n import N_
from schoolnet_collector.planning import procurement
from schoolnet_collector.planning.export_text import render
from schoolnet_collector.planning.procurement import ProcurementPlan
from schoolnet_collector.planning.reports.base import Inputs, Progress, Report, no_progress
from schoolnet_collector.planning.tables import procurement_tables

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from schoolnet_collector.core.access import Scope
    from schoolnet_collector.planning.period import Period
    from schoolnet_collector.planning.tables import Table
    from schoolnet_collector.storage.influx import InfluxStore

DEVICE_ROWS_ON_TERMINAL = 40
"""The devices to replace can be thousands; the terminal shows the first, the files all."""


class ProcurementReport(Report[ProcurementPlan]):
    name = "procurement"
    title = N_("Procurement plan")
    description = N_(
        "Devices and labs to replace or add, with costs and a five-year horizon, by managing body, "
        "commune, level or former district, and each device to replace with its reasons."
    )
    uses_prices = True
    summary_on_page = True

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
    ) -> ProcurementPlan:
        return procurement.compute(
            store,
            session,
            scope,
            period,
            as_of=as_of,
            targets=inputs.targets if inputs else None,
            rules=inputs.rules if inputs else None,
            prices=inputs.prices if inputs else None,
            progress=progress,
            plans=inputs.plans if inputs else None,
            plan=plan,
            group_by=group_by,
        )

    def as_json(self, report: ProcurementPlan, lang: str) -> dict[str, Any]:
        return report.as_dict(lang)  # the reasons are sentences, in the reader's language

    def tables(self, report: ProcurementPlan, lang: str) -> list[Table]:
        return procurement_tables(report, lang)

    def text(self, tables: list[Table]) -> str:
        """The summary, then the first devices to replace."""
        return render(tables[0]) + "\n\n" + render(tables[-1], DEVICE_ROWS_ON_TERMINAL)
