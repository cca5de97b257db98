"""Districts as they were before 1 July 2025 (``legacy_district``), rolled up from the school
registry: history for the old plans, not a unit of responsibility any more (that is the
commune or the Sở: ``/api/v1/communes``). Each caller sees only its own schools' counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from schoolnet_collector.api.auth import AUTH_RESPONSES, NOT_FOUND, CallerDep, ClockDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.schemas import DistrictOut
from schoolnet_collector.views.overview import district_summaries

router = APIRouter(prefix="/api/v1/districts", tags=["districts"], responses=AUTH_RESPONSES)


@router.get("", response_model=list[DistrictOut])
def list_districts(
    session: SessionDep, runtime: RuntimeDep, caller: CallerDep, clock: ClockDep
) -> list[DistrictOut]:
    """The districts the caller can see, with school and device counts (a school token sees
    its own school's counts under its district)."""
    return [
        DistrictOut(**vars(d))
        for d in district_summaries(
            session,
            caller.school_ids_filter(),
            clock(),
            runtime.settings.ingest.offline_after_intervals,
        )
    ]


@router.get("/{district_id}", response_model=DistrictOut)
def get_district(
    district_id: Annotated[str, Path(max_length=63)],
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerDep,
    clock: ClockDep,
) -> DistrictOut:
    found = district_summaries(
        session,
        caller.school_ids_filter(),
        clock(),
        runtime.settings.ingest.offline_after_intervals,
        district=district_id,
    )
    if not found:
        raise HTTPException(404, NOT_FOUND)
    return DistrictOut(**vars(found[0]))
