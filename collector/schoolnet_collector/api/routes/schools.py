"""Schools and their devices, as the registry knows them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select

from schoolnet_collector.api.deps import RuntimeDep, SessionDep
from schoolnet_collector.api.schemas import DeviceOut, Problem, SchoolOut, SchoolPage
from schoolnet_collector.registry.devices import is_online, school_devices, utc
from schoolnet_collector.registry.models import Device, School

router = APIRouter(prefix="/api/v1/schools", tags=["schools"])



def _online_counts(session, runtime, school_ids: list[str]) -> dict[str, tuple[int, int]]:
    now = datetime.now(timezone.utc)
    after = runtime.settings.ingest.offline_after_intervals
    counts: dict[str, list[int]] = {}
    for device in session.scalars(select(Device).where(Device.school_id.in_(school_ids))):
        c = counts.setdefault(device.school_id, [0, 0])
        c[0] += 1
        c[1] += is_online(device, now, after)
    return {k: (v[0], v[1]) for k, v in counts.items()}


@router.get("", response_model=SchoolPage)
def list_schools(
    session: SessionDep, runtime: RuntimeDep,
    district: Annotated[str | None, Query(max_length=63, description="district id")] = None,
    level: Annotated[str | None, Query(max_length=32, description="level id, e.g. thcs")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SchoolPage:
    query = select(School)
    if district:
        query = query.where(School.district == district)
    if level:
        query = query.where(School.level == level)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    schools = list(session.scalars(query.order_by(School.id).limit(limit).offset(offset)))
    counts = _online_counts(session, runtime, [s.id for s in schools])
    items = [SchoolOut(id=s.id, name=s.name, province=s.province, district=s.district,
                       district_name=s.district_name, level=s.level,
                       devices=counts.get(s.id, (0, 0))[0], devices_online=counts.get(s.id, (0, 0))[1])
             for s in schools]
    return SchoolPage(total=total, items=items)


@router.get("/{school_id}/devices", response_model=list[DeviceOut],
            responses={404: {"model": Problem, "description": "No such school"}})
def list_devices(school_id: str, session: SessionDep, runtime: RuntimeDep) -> list[DeviceOut]:
    if session.get(School, school_id) is None:
        raise HTTPException(404, f"school {school_id!r} is not in the registry")
    now = datetime.now(timezone.utc)
    after = runtime.settings.ingest.offline_after_intervals
    return [DeviceOut(id=d.device_id, school=d.school_id, kind=d.kind, first_seen=utc(d.first_seen),
                      last_seen=utc(d.last_seen), last_seq=d.last_seq,
                      interval_seconds=d.interval_seconds, online=is_online(d, now, after),
                      availability={True: "online", False: "offline"}.get(d.available, "unknown"))
            for d in school_devices(session, school_id)]
