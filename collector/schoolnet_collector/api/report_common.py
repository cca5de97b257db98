"""What every report route shares (``/api/v1/reports/<name>`` and the older
``/api/v1/readiness`` and ``/api/v1/procurement``): the query parameters, the answer
(:func:`answer`: one body for all of them, so they cannot disagree) and the CSV / XLSX download
(with a Content-Disposition name). The scope is checked by ``Caller.resolve_scope``: none asked
means the caller's own, a wider one 403; a period or a size beyond the caller's role
(``report_limits``) is a 400. ``group_by`` outside ``planning.grouping.AXES`` and an unknown
``plan`` are a 422 naming what there is; a configured plan whose file cannot be read or whose
area the registry lacks is a 503 saying why (the server's configuration is wrong, not the
request), never a report measured on no school."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Depends, HTTPException, Query, Response
from sqlalchemy.orm import Session

from schoolnet_collector.api.auth import Caller, get_clock
from schoolnet_collector.api.report_limits import too_large
from schoolnet_collector.api.schemas import Problem
from schoolnet_collector.core.access import Scope
from schoolnet_collector.planning.export_csv import csv_bytes
from schoolnet_collector.planning.export_xlsx import xlsx_bytes
from schoolnet_collector.planning.files import PlanningFileError
from schoolnet_collector.planning.grouping import AXES, parse_group_by
from schoolnet_collector.planning.period import Period, ReportArgumentError, parse_period
from schoolnet_collector.planning.plans import PlanAreaError, load_plans
from schoolnet_collector.planning.reports.base import Inputs, Report
from schoolnet_collector.planning.tables import Table
from schoolnet_collector.runtime import Runtime
from schoolnet_collector.storage.influx import StorageError

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ReportQuery:
    scope: str | None  # as asked; ``Caller.resolve_scope`` turns it into a Scope
    period: Period
    format: str
    lang: str
    as_of: int | None
    group_by: tuple[str, ...] | None = None
    plan: str | None = None


def report_query(
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    scope: Annotated[
        str | None,
        Query(
            max_length=80,
            description="province, commune:<code> or school:<id> (default: the token's own scope)",
        ),
    ] = None,
    period: Annotated[
        str, Query(max_length=10, description="back from now: 30d, 12w, 48h")
    ] = "30d",
    format: Annotated[
        Literal["json", "csv", "xlsx"], Query(description="json, or a csv/xlsx download")
    ] = "json",
    lang: Annotated[
        Literal["vi", "en"], Query(description="language of headers and reasons")
    ] = "vi",
    as_of: Annotated[
        int | None,
        Query(
            ge=2000,
            le=2100,
            description="year ages and target milestones count from (default: this year)",
        ),
    ] = None,
    group_by: Annotated[
        str | None,
        Query(
            max_length=200,
            description=f"group by one or more of {', '.join(AXES)}, comma-separated "
            "(default: managing_body,level,legacy_district)",
        ),
    ] = None,
    plan: Annotated[
        str | None,
        Query(
            max_length=63,
            description="measure only this plan's area against its targets (default: every "
            "plan on its own area, and the whole scope against the province's plan)",
        ),
    ] = None,
) -> ReportQuery:
    try:
        return ReportQuery(
            scope,
            parse_period(period, clock()),
            format,
            lang,
            as_of,
            parse_group_by(group_by) if group_by is not None else None,
            plan,
        )
    except ReportArgumentError as exc:
        raise HTTPException(422, str(exc)) from None


ReportQueryDep = Annotated[ReportQuery, Depends(report_query)]


def report_scope(q: ReportQuery, caller: Caller, session: Session, runtime: Runtime) -> Scope:
    """The scope the report covers, once the caller may see it and the role may ask this
    much of InfluxDB (400 naming the limit otherwise)."""
    scope = caller.resolve_scope(q.scope, session)
    refused = too_large(session, caller.role, scope, q.period, runtime.settings.api)
    if refused:
        raise HTTPException(400, str(refused))
    return scope


REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report: JSON, or with format=csv|xlsx a download",
        "content": {"text/csv": {}, XLSX: {}},
    },
    400: {"model": Problem, "description": "Period or size beyond the token's role"},
    503: {
        "model": Problem,
        "description": "InfluxDB unavailable, or a configured plan is wrong (its file, its area)",
    },
}
"""Pass as ``@router.get(..., responses=REPORT_RESPONSES)`` so OpenAPI lists the downloads."""


def download(name: str, scope: Scope, q: ReportQuery, tables: list[Table]) -> Response:
    stem = f"{name}-{str(scope).replace(':', '-')}-{q.period.end:%Y%m%d}"
    if q.format == "csv":
        return Response(
            csv_bytes(tables[0]),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    return Response(
        xlsx_bytes(tables),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
    )


def answer(
    unit: Report[Any], q: ReportQuery, caller: Caller, session: Session, runtime: Runtime
) -> dict[str, Any] | Response:
    """The report ``unit`` for the caller's scope (or the one asked, if the caller covers it),
    as JSON or a download; a period or size beyond the caller's role is refused first."""
    scope = report_scope(q, caller, session, runtime)
    try:
        plans = load_plans(runtime.settings.planning.plans)
    except PlanningFileError as exc:
        raise HTTPException(503, f"planning configuration: {exc}") from None
    try:
        report = unit.compute(
            runtime.store,
            session,
            scope,
            q.period,
            as_of=q.as_of,
            inputs=Inputs(plans=plans),
            plan=q.plan,
            group_by=q.group_by,
        )
    except ReportArgumentError as exc:
        raise HTTPException(422, str(exc)) from None
    except PlanAreaError as exc:
        raise HTTPException(503, f"planning configuration: {exc}") from None
    except StorageError as exc:
        raise HTTPException(503, f"InfluxDB unavailable: {exc}") from None
    if q.format == "json":
        return unit.as_json(report, q.lang)
    return download(unit.name, scope, q, unit.tables(report, q.lang))
