"""``/api/v1/reports``: every planners' report by its name in the registry
(``planning.reports``), with the same parameters, answers and scope checks as each report's
own older URL. A report added to the registry is served here without a route of its own."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response

from schoolnet_collector.api.auth import AUTH_RESPONSES, CallerDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.report_common import REPORT_RESPONSES, ReportQueryDep, answer
from schoolnet_collector.api.schemas import Problem, ReportOut
from schoolnet_collector.planning.reports import REPORTS
from schoolnet_collector.planning.reports.registry import UnknownReport

PREFIX = "/api/v1/reports"
router = APIRouter(prefix=PREFIX, tags=["planning"], responses=AUTH_RESPONSES)


@router.get("", response_model=list[ReportOut], summary="The planners' reports")
def list_reports(
    caller: CallerDep,
    lang: Annotated[Literal["vi", "en"], Query(description="language of titles")] = "vi",
) -> list[ReportOut]:
    """Every report, in the registry's order; any token may see the list (each report is
    still computed only for the caller's scope)."""
    return [
        ReportOut(
            name=r.name,
            title=r.title.translate(lang),
            description=r.description.translate(lang),
            url=f"{PREFIX}/{r.name}",
            uses_prices=r.uses_prices,
        )
        for r in REPORTS
    ]


@router.get(
    "/{report}",
    response_model=None,  # JSON or a download: described by REPORT_RESPONSES
    responses={**REPORT_RESPONSES, 404: {"model": Problem, "description": "No such report"}},
    summary="One report for a scope and period, as JSON or a CSV/XLSX download",
)
def get_report(
    report: Annotated[str, Path(max_length=40, description="A name from GET /api/v1/reports")],
    q: ReportQueryDep,
    caller: CallerDep,
    session: SessionDep,
    runtime: RuntimeDep,
) -> dict[str, Any] | Response:
    try:
        unit = REPORTS.get(report)
    except UnknownReport as exc:
        raise HTTPException(404, str(exc)) from None
    return answer(unit, q, caller, session, runtime)
