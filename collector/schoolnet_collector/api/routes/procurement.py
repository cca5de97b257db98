"""``/api/v1/procurement``: the replacement plan (``planning.reports.procurement``), kept at the
URL it had before ``/api/v1/reports/procurement`` existed; the same answer and the same
checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from schoolnet_collector.api.auth import AUTH_RESPONSES, CallerDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.report_common import REPORT_RESPONSES, ReportQueryDep, answer
from schoolnet_collector.planning.reports import REPORTS

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
    return answer(REPORTS.get("procurement"), q, caller, session, runtime)
