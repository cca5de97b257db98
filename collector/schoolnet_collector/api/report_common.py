"""What the readiness and procurement routes share: their query parameters, the caller's
scope check, and the JSON / CSV / XLSX answer (downloads carry a Content-Disposition name)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Callable, Literal

from fastapi import Depends, HTTPException, Query, Response
from sqlalchemy.orm import Session

from schoolnet_collector.api.auth import Caller, get_clock
from schoolnet_collector.planning.export_csv import csv_bytes
from schoolnet_collector.planning.export_xlsx import xlsx_bytes
from schoolnet_collector.planning.period import (Period, ReportArgumentError, parse_period,
                                                 parse_scope)
from schoolnet_collector.planning.tables import Table
from schoolnet_collector.registry.tokens import Scope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class ReportQuery:
    scope: Scope | None          # None: the caller's own scope
    period: Period
    format: str
    lang: str
    as_of: int | None


def report_query(
    clock: Annotated[Callable[[], datetime], Depends(get_clock)],
    scope: Annotated[str | None, Query(max_length=80, description="province, district:<id> or school:<id> (default: the token's own scope)")] = None,
    period: Annotated[str, Query(max_length=10, description="back from now: 30d, 12w, 48h")] = "30d",
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, or a csv/xlsx download")] = "json",
    lang: Annotated[Literal["vi", "en"], Query(description="language of headers and reasons")] = "vi",
    as_of: Annotated[int | None, Query(ge=2000, le=2100, description="year ages and target milestones count from (default: this year)")] = None,
) -> ReportQuery:
    try:
        return ReportQuery(parse_scope(scope) if scope is not None else None,
                           parse_period(period, clock()), format, lang, as_of)
    except ReportArgumentError as exc:
        raise HTTPException(422, str(exc)) from None


ReportQueryDep = Annotated[ReportQuery, Depends(report_query)]


def resolve_scope(caller: Caller, session: Session, q: ReportQuery) -> Scope:
    """The report's scope: the one asked for, or the caller's own when none is given (a
    school token's report is its school's). 403 when the one asked for reaches beyond the
    caller's (a district token asking for the province, another district, or a school
    outside its district)."""
    if q.scope is None:
        q.scope = caller.scope
    elif not caller.covers_scope(q.scope, session):
        raise HTTPException(403, f"scope {q.scope} is outside the token's scope {caller.scope}")
    return q.scope


def download(name: str, q: ReportQuery, tables: list[Table]) -> Response:
    stem = f"{name}-{str(q.scope).replace(':', '-')}-{q.period.end:%Y%m%d}"
    if q.format == "csv":
        return Response(csv_bytes(tables[0]), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    return Response(xlsx_bytes(tables), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
