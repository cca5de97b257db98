"""Schools and their devices, as the registry knows them, within the caller's scope."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from schoolnet_collector.api.auth import AUTH_RESPONSES, CallerDep, ClockDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.schemas import UplinkHour
from schoolnet_collector.storage.influx import StorageError
from schoolnet_collector.views.overview import device_counts, uplink_history
from schoolnet_collector.views.schools import (
    DeviceOut,
    SchoolOut,
    SchoolPage,
    devices_of,
    school_out,
    schools_page,
)

router = APIRouter(prefix="/api/v1/schools", tags=["schools"], responses=AUTH_RESPONSES)

SchoolId = Annotated[str, Path(max_length=63, description="school id, as in the school file")]


@router.get("", response_model=SchoolPage)
def list_schools(
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerDep,
    clock: ClockDep,
    commune: Annotated[str | None, Query(max_length=63, description="commune code")] = None,
    district: Annotated[
        str | None, Query(max_length=63, description="legacy district id (before 7/2025)")
    ] = None,
    level: Annotated[str | None, Query(max_length=32, description="level id, e.g. thcs")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SchoolPage:
    return schools_page(
        session,
        caller.school_ids_filter(),
        clock(),
        runtime.settings.ingest.offline_after_intervals,
        district,
        level,
        limit,
        offset,
        commune,
    )


@router.get("/{school_id}", response_model=SchoolOut)
def get_school(
    school_id: SchoolId,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerDep,
    clock: ClockDep,
) -> SchoolOut:
    school = caller.require_school_id(session, school_id)
    c = device_counts(
        session, [school.id], clock(), runtime.settings.ingest.offline_after_intervals
    ).get(school.id)
    return school_out(school, c.devices if c else 0, c.devices_online if c else 0)


@router.get("/{school_id}/devices", response_model=list[DeviceOut])
def list_devices(
    school_id: SchoolId,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerDep,
    clock: ClockDep,
) -> list[DeviceOut]:
    caller.require_school_id(session, school_id)
    return devices_of(session, school_id, clock(), runtime.settings.ingest.offline_after_intervals)


@router.get(
    "/{school_id}/uplink",
    response_model=list[UplinkHour],
    responses={503: {"description": "InfluxDB cannot be read right now"}},
)
def school_uplink(
    school_id: SchoolId,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerDep,
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
) -> list[UplinkHour]:
    """Hourly means of the school gateway's ``uplink`` measurement, oldest first."""
    caller.require_school_id(session, school_id)
    try:
        rows = uplink_history(runtime.store, school_id, hours)
    except StorageError as exc:
        raise HTTPException(503, f"uplink history unavailable: {exc}") from None
    return [
        UplinkHour(**{**r, "time": datetime.fromtimestamp(r["time"] / 1000, timezone.utc)})
        for r in rows
    ]
