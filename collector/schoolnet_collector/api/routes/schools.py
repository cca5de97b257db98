"""Schools and their devices, as the registry knows them, within the caller's scope."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import select

from schoolnet_collector.api.auth import AUTH_RESPONSES, Caller, CallerDep, ClockDep
from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.overview import count_schools, device_counts, uplink_history
from schoolnet_collector.api.schemas import DeviceOut, SchoolOut, SchoolPage, UplinkHour
from schoolnet_collector.registry.devices import is_online, school_devices, utc
from schoolnet_collector.registry.models import School
from schoolnet_collector.storage.influx import StorageError

router = APIRouter(prefix="/api/v1/schools", tags=["schools"], responses=AUTH_RESPONSES)

SchoolId = Annotated[str, Path(max_length=63, description="school id, as in the school file")]


def school_out(school: School, devices: int, online: int) -> SchoolOut:
    return SchoolOut(
        id=school.id,
        name=school.name,
        province=school.province,
        district=school.district,
        district_name=school.district_name,
        level=school.level,
        devices=devices,
        devices_online=online,
    )


def schools_page(
    session,
    runtime,
    caller: Caller,
    now: datetime,
    district: str | None = None,
    level: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> SchoolPage:
    """The list route's answer; the web pages call it too so both show the same numbers."""
    query = select(School).where(caller.school_ids_filter())
    if district:
        query = query.where(School.district == district)
    if level:
        query = query.where(School.level == level)
    total = count_schools(session, query)
    schools = list(session.scalars(query.order_by(School.id).limit(limit).offset(offset)))
    counts = device_counts(
        session, [s.id for s in schools], now, runtime.settings.ingest.offline_after_intervals
    )
    items = []
    for s in schools:
        c = counts.get(s.id)
        items.append(school_out(s, c.devices if c else 0, c.devices_online if c else 0))
    return SchoolPage(total=total, items=items)


@router.get("", response_model=SchoolPage)
def list_schools(
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerDep,
    clock: ClockDep,
    district: Annotated[str | None, Query(max_length=63, description="district id")] = None,
    level: Annotated[str | None, Query(max_length=32, description="level id, e.g. thcs")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SchoolPage:
    return schools_page(session, runtime, caller, clock(), district, level, limit, offset)


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


def devices_of(session, runtime, school_id: str, now: datetime) -> list[DeviceOut]:
    after = runtime.settings.ingest.offline_after_intervals
    return [
        DeviceOut(
            id=d.device_id,
            school=d.school_id,
            kind=d.kind,
            first_seen=utc(d.first_seen),
            last_seen=utc(d.last_seen),
            last_seq=d.last_seq,
            interval_seconds=d.interval_seconds,
            online=is_online(d, now, after),
            availability={True: "online", False: "offline"}.get(d.available, "unknown"),
        )
        for d in school_devices(session, school_id)
    ]


@router.get("/{school_id}/devices", response_model=list[DeviceOut])
def list_devices(
    school_id: SchoolId,
    session: SessionDep,
    runtime: RuntimeDep,
    caller: CallerDep,
    clock: ClockDep,
) -> list[DeviceOut]:
    caller.require_school_id(session, school_id)
    return devices_of(session, runtime, school_id, clock())


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
