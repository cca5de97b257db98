"""Schools with their device counts, and a school's devices, as the registry knows them.

The list of schools answers both ``GET /api/v1/schools`` and the commune page; the device list
both ``GET /api/v1/schools/{id}/devices`` and the school page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from schoolnet_collector.registry.devices import is_online, school_devices, utc
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.units import managing_body
from schoolnet_collector.views.overview import count_schools, device_counts


class SchoolOut(BaseModel):
    id: str = Field(examples=["lc-bxa-th-012"])
    name: str = Field(examples=["Trường Tiểu học số 12 Bát Xát"])
    province: str
    commune: str | None = Field(None, description="Commune code; null: not assigned yet")
    managing_body: str | None = Field(
        None, description="Who runs it: commune or province (the Sở); null: not said"
    )
    district: str = Field(description="Legacy district (before 7/2025)")
    district_name: str | None = None
    level: str = Field(description="mam_non, tieu_hoc, thcs, thpt, gdtx, lien_cap or other")
    devices: int = Field(description="Devices registered so far")
    devices_online: int
    site_of: str | None = Field(
        None,
        description="Set for a site of a unit, not a school (the Sở's office, a commune "
        "office): the unit's code. Monitored like a school, counted in no school figure",
        examples=[None, "lao-cai"],
    )


class SchoolPage(BaseModel):
    total: int
    items: list[SchoolOut]


class DeviceOut(BaseModel):
    id: str
    school: str
    kind: str
    first_seen: datetime
    last_seen: datetime
    last_seq: int | None
    interval_seconds: float | None
    online: bool = Field(
        description="Not marked offline by its Last Will, and heard from within "
        "ingest.offline_after_intervals × its interval"
    )
    availability: Literal["online", "offline", "unknown"] = Field(
        description="The device's own availability topic (retained; Last Will sets offline)"
    )


def school_out(school: School, devices: int, online: int) -> SchoolOut:
    return SchoolOut(
        id=school.id,
        name=school.name,
        province=school.province,
        commune=school.commune,
        managing_body=managing_body(school),
        district=school.district,
        district_name=school.district_name,
        level=school.level,
        devices=devices,
        devices_online=online,
        site_of=school.site_of,
    )


def schools_page(
    session: Session,
    scope: ColumnElement[bool],
    now: datetime,
    offline_after: float,
    district: str | None = None,
    level: str | None = None,
    limit: int = 100,
    offset: int = 0,
    commune: str | None = None,
) -> SchoolPage:
    """The schools in ``scope`` (optionally of one commune, legacy district or level), by id,
    with counts. ``commune`` is where a school stands, whoever runs it. Sites of units are
    listed too, marked by ``site_of``: a list is where they are found."""
    query = select(School).where(scope)
    if commune:
        query = query.where(School.commune == commune)
    if district:
        query = query.where(School.district == district)
    if level:
        query = query.where(School.level == level)
    total = count_schools(session, query)
    schools = list(session.scalars(query.order_by(School.id).limit(limit).offset(offset)))
    counts = device_counts(session, [s.id for s in schools], now, offline_after)
    items = []
    for s in schools:
        c = counts.get(s.id)
        items.append(school_out(s, c.devices if c else 0, c.devices_online if c else 0))
    return SchoolPage(total=total, items=items)


def devices_of(
    session: Session, school_id: str, now: datetime, offline_after: float
) -> list[DeviceOut]:
    """The school's devices with their online state (the caller's scope is checked before)."""
    return [
        DeviceOut(
            id=d.device_id,
            school=d.school_id,
            kind=d.kind,
            first_seen=utc(d.first_seen),
            last_seen=utc(d.last_seen),
            last_seq=d.last_seq,
            interval_seconds=d.interval_seconds,
            online=is_online(d, now, offline_after),
            availability="unknown"
            if d.available is None
            else "online"
            if d.available
            else "offline",
        )
        for d in school_devices(session, school_id)
    ]
