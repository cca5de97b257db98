"""What every planners' report is: a :class:`Report` names itself, computes its object from the
registry and InfluxDB, and lays it out as JSON and as tables (which CSV, XLSX, the terminal and
the /plan page all show), so the CLI, the API, the web pages and the docs need nothing else.

The computing stays in the report's own planning module (``planning/readiness.py``); a
``Report`` is the thin adapter that gives it the common shape.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from schoolnet_collector.planning.export_text import render

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from schoolnet_collector.core.access import Scope
    from schoolnet_collector.i18n import Text
    from schoolnet_collector.planning.period import Period
    from schoolnet_collector.planning.plans import Plan
    from schoolnet_collector.planning.prices import Prices
    from schoolnet_collector.planning.scoring import ScoringRules
    from schoolnet_collector.planning.tables import Table
    from schoolnet_collector.planning.targets import Targets
    from schoolnet_collector.storage.influx import InfluxStore

R = TypeVar("R")

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)`` after each query: the CLI's progress bar."""


def no_progress(step: str, done: int, total: int) -> None:
    """The API and the pages show no progress."""


@dataclass(frozen=True)
class Inputs:
    """A Sở's own planning files (``--targets``, ``--scoring``, ``--prices``, the plans of
    ``[planning] plans``), loaded; None is the packaged default. A report reads those it needs
    and ignores the rest."""

    targets: Targets | None = None
    rules: ScoringRules | None = None
    prices: Prices | None = None
    plans: list[Plan] | None = None


class Report(ABC, Generic[R]):
    """One planners' report. ``title`` and ``description`` are marked messages (``N_``): the
    pages and the API translate them, the docs show their English ids."""

    name: ClassVar[str]
    title: ClassVar[Text]
    description: ClassVar[Text]
    uses_prices: ClassVar[bool] = False
    """It reads unit prices (``--prices``): costs money, so the CLI loads the price file."""
    summary_on_page: ClassVar[bool] = False
    """The /plan page shows its summary table: it is computed on every view, so only a report
    whose province-wide answer is quick enough for a page (``docs/planning.md``, Measured)."""

    @abstractmethod
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
    ) -> R:
        """The report for ``scope`` over ``period``, grouped on ``group_by`` (the axes of
        ``planning.grouping``), for ``plan``'s area only if one is named; raises
        ``ReportArgumentError`` (a wrong scope, plan or grouping), ``PlanAreaError`` (a plan
        whose area the registry lacks) or ``StorageError`` (InfluxDB unreachable) with a
        message for the user."""

    @abstractmethod
    def as_json(self, report: R, lang: str) -> dict[str, Any]:
        """The JSON answer (API ``format=json``, CLI ``--format json``)."""

    @abstractmethod
    def tables(self, report: R, lang: str) -> list[Table]:
        """The summary table first (what CSV writes and the page shows), then the others
        (XLSX sheets)."""

    def text(self, tables: list[Table]) -> str:
        """What the terminal shows (``--format table``): the summary."""
        return render(tables[0])
