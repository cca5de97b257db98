"""``/api/v1/procurement``: the replacement plan for a scope and period
(``planning.procurement``), as JSON or as a CSV/XLSX download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response

from schoolnet_collector.api.auth import AUTH_RESPONSES, CallerDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.report_common import (
    REPORT_RESPONSES,
    ReportQueryDep,
    download,
    report_scope,
)
from schoolnet_collector.planning import procurement
from schoolnet_collector.planning.period import ReportArgumentError
from schoolnet_collector.planning.tables import procurement_tables
from schoolnet_collector.storage.influx import StorageError

router = APIRouter(prefix="/api/v1/procurement", tags=["planning"], responses=AUTH_RESPONSES)


@router.get(
    "",
    response_model=None,  # JSON or a download: described by REPORT_RESPONSES
    responses=REPORT_RESPONSES,
    summary="Devices and labs to replace or add, with costs and a five-year horizon",
)
def get_procurement(
    q: ReportQueryDep, caller: CallerDep, session: SessionDep, runtime: RuntimeDep
) -> dict[str, Any] | Response:
    scope = report_scope(q, caller, session, runtime)
    try:
        plan = procurement.compute(runtime.store, session, scope, q.period, as_of=q.as_of)
    except ReportArgumentError as exc:
        raise HTTPException(422, str(exc)) from None
    except StorageError as exc:
        raise HTTPException(503, f"InfluxDB unavailable: {exc}") from None
    if q.format == "json":
        return plan.as_dict(q.lang)
    return download("procurement", scope, q, procurement_tables(plan, q.lang))
