"""The school calendar over HTTP: read and replace the province's or a school's; ask whether a
school is in session; set a device's expected presence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import AwareDatetime, BaseModel
from sqlalchemy.orm import Session

from schoolnet_collector.api.auth import AUTH_RESPONSES, NOT_FOUND, Caller, CallerDep, get_clock
from schoolnet_collector.api.deps import SessionDep
from schoolnet_collector.registry.calendar import Calendar
from schoolnet_collector.registry.calendar_file import (
    CalendarIn,
    calendar_of,
    contradictions,
    store_calendar,
)
from schoolnet_collector.registry.models import Device

router = APIRouter(prefix="/api/v1", tags=["calendar"], responses=AUTH_RESPONSES)
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
SchoolQuery = Annotated[
    str | None, Query(max_length=63, description="a school's own calendar; omit for the province's")
]


def _scope(session: Session, caller: Caller, school: str | None, change: bool) -> None:
    if school is None:
        if change:
            caller.require_province()
    else:
        caller.require_school_id(session, school)
    if change:
        caller.require_role("operator")


@router.get("/calendar", response_model=CalendarIn)
def get_calendar(session: SessionDep, caller: CallerDep, school: SchoolQuery = None) -> CalendarIn:
    """Stored rows only: a school without its own hours or terms follows the province's."""
    _scope(session, caller, school, change=False)
    return calendar_of(session, school)


@router.put(
    "/calendar",
    response_model=CalendarIn,
    responses={
        409: {
            "description": "A day closes before it opens, or a term or holiday "
            "ends before it starts"
        }
    },
)
def put_calendar(
    body: CalendarIn, session: SessionDep, caller: CallerDep, school: SchoolQuery = None
) -> CalendarIn:
    """Replace the calendar (hours, terms and holidays together)."""
    _scope(session, caller, school, change=True)
    wrong = contradictions(body)
    if wrong:
        raise HTTPException(409, "the calendar contradicts itself: " + "; ".join(wrong))
    store_calendar(session, body, school)
    session.commit()
    return calendar_of(session, school)


class SchoolTime(BaseModel):
    school_id: str
    at: datetime
    school_time: bool
    next_school_time: datetime | None


@router.get("/calendar/school-time", response_model=SchoolTime)
def school_time(
    session: SessionDep,
    caller: CallerDep,
    clock: ClockDep,
    school: Annotated[str, Query(max_length=63)],
    at: Annotated[AwareDatetime | None, Query(description="default: now")] = None,
) -> SchoolTime:
    caller.require_school_id(session, school)
    at = at or clock()
    calendar = Calendar.load(session, school)
    return SchoolTime(
        school_id=school,
        at=at,
        school_time=calendar.is_school_time(school, at),
        next_school_time=calendar.next_school_time(school, at),
    )


class PresenceIn(BaseModel):
    expected_presence: Literal["always", "school_hours", "optional"] | None = None


@router.put(
    "/schools/{school_id}/devices/{device_id}/presence", response_model=PresenceIn, tags=["schools"]
)
def set_presence(
    school_id: Annotated[str, Path(max_length=63)],
    device_id: Annotated[str, Path(max_length=63)],
    body: PresenceIn,
    session: SessionDep,
    caller: CallerDep,
) -> PresenceIn:
    """When the device is expected up (None: the rule file's default for its kind)."""
    caller.require_school_id(session, school_id)
    caller.require_role("operator")
    device = session.get(Device, (school_id, device_id))
    if device is None:
        raise HTTPException(404, NOT_FOUND)
    device.expected_presence = body.expected_presence
    session.commit()
    return PresenceIn(expected_presence=device.expected_presence)
