"""Maintenance windows: planned work during which no incident opens for a school or device."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import select

from schoolnet_collector.api.auth import AUTH_RESPONSES, NOT_FOUND, CallerDep, get_clock
from schoolnet_collector.api.deps import SessionDep
from schoolnet_collector.registry.alerting_models import MaintenanceWindow
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import School

router = APIRouter(prefix="/api/v1/maintenance", tags=["maintenance"], responses=AUTH_RESPONSES)
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
MAX_WINDOW = timedelta(days=120)  # a summer break; longer is a mistake, or a school closed


class MaintenanceIn(BaseModel):
    """A start and a length (not an end: a window cannot end before it starts)."""

    school_id: str = Field(max_length=63)
    device_id: str | None = Field(None, max_length=63, description="None: the whole school")
    starts_at: AwareDatetime = Field(
        description="with a UTC offset, e.g. 2026-11-28T07:00:00+07:00"
    )
    duration_minutes: int = Field(
        ge=1, le=MAX_WINDOW // timedelta(minutes=1), description="at most 120 days (a summer break)"
    )
    reason: str = Field(min_length=1, max_length=2000, examples=["Thay bộ định tuyến (router)"])


class MaintenanceOut(BaseModel):
    id: int
    school_id: str
    device_id: str | None
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_by: str | None
    created_at: datetime


def _utc(dt: datetime) -> datetime:
    """Always answer in UTC, whatever offset the window was given with."""
    return utc(dt).astimezone(timezone.utc)


def window_out(w: MaintenanceWindow) -> MaintenanceOut:
    return MaintenanceOut(
        id=w.id,
        school_id=w.school_id,
        device_id=w.device_id,
        starts_at=_utc(w.starts_at),
        ends_at=_utc(w.ends_at),
        reason=w.reason,
        created_by=w.created_by,
        created_at=_utc(w.created_at),
    )


@router.get("", response_model=list[MaintenanceOut])
def list_windows(
    session: SessionDep,
    caller: CallerDep,
    clock: ClockDep,
    school: Annotated[str | None, Query(max_length=63)] = None,
    current: Annotated[bool, Query(description="only windows not yet over")] = False,
) -> list[MaintenanceOut]:
    query = (
        select(MaintenanceWindow)
        .join(School, School.id == MaintenanceWindow.school_id)
        .where(caller.school_ids_filter())
        .order_by(MaintenanceWindow.starts_at)
    )
    if school:
        query = query.where(MaintenanceWindow.school_id == school)
    if current:
        query = query.where(MaintenanceWindow.ends_at > clock())
    return [window_out(w) for w in session.scalars(query)]


@router.post("", response_model=MaintenanceOut, status_code=201)
def create_window(
    body: MaintenanceIn, session: SessionDep, caller: CallerDep, clock: ClockDep
) -> MaintenanceOut:
    caller.require_school_id(session, body.school_id)
    caller.require_role("operator")
    try:
        starts = body.starts_at.astimezone(timezone.utc)
        ends = starts + timedelta(minutes=body.duration_minutes)
    except OverflowError:
        raise HTTPException(422, "starts_at is outside the years a calendar can hold") from None
    window = MaintenanceWindow(
        school_id=body.school_id,
        device_id=body.device_id,
        starts_at=starts,
        ends_at=ends,
        reason=body.reason,
        created_by=caller.token_name,
        created_at=clock(),
    )
    session.add(window)
    session.commit()
    return window_out(window)


@router.delete("/{window_id}", status_code=204)
def delete_window(
    window_id: Annotated[int, Path(ge=1, le=2**62)], session: SessionDep, caller: CallerDep
) -> Response:
    window = session.get(MaintenanceWindow, window_id)
    if window is None:
        raise HTTPException(404, NOT_FOUND)
    caller.require_school_id(session, window.school_id)
    caller.require_role("operator")
    session.delete(window)
    session.commit()
    return Response(status_code=204)
