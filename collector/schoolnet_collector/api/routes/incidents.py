"""Incidents: list and filter, read with the timeline, acknowledge, resolve, add a note.

Every route checks the caller's scope through the incident's school (an incident outside it
is a 404, like one that does not exist); changing one needs the ``operator`` role. The actor in
the timeline is the token's name.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Depends, HTTPException, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from schoolnet_collector.alerting import incidents as transitions
from schoolnet_collector.api.auth import AUTH_RESPONSES, NOT_FOUND, Caller, CallerDep, get_clock
from schoolnet_collector.api.deps import SessionDep
from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.models import School
from schoolnet_collector.views.incidents import (
    IncidentOut,
    IncidentPage,
    incident_out,
    incident_page,
)

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=AUTH_RESPONSES)
ClockDep = Annotated[Callable[[], datetime], Depends(get_clock)]
IncidentId = Annotated[int, Path(ge=1, le=2**62)]
Lang = Annotated[Literal["vi", "en"], Query(description="language of the summaries")]


class TransitionIn(BaseModel):
    note: str | None = Field(None, max_length=2000, description="why, for the timeline")


class NoteIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


@router.get("", response_model=IncidentPage)
def list_incidents(
    session: SessionDep,
    caller: CallerDep,
    school: Annotated[str | None, Query(max_length=63, description="school id")] = None,
    district: Annotated[str | None, Query(max_length=63, description="district id")] = None,
    state: Annotated[
        Literal["open", "acknowledged", "resolved", "active"] | None,
        Query(description="active = open or acknowledged"),
    ] = None,
    rule: Annotated[str | None, Query(max_length=63)] = None,
    severity: Annotated[Literal["info", "warning", "critical"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    lang: Lang = "vi",
) -> IncidentPage:
    return incident_page(
        session,
        caller.school_ids_filter(),
        school,
        district,
        state,
        rule,
        severity,
        limit,
        offset,
        lang,
    )


def _incident_in_scope(
    session: Session, caller: Caller, incident_id: int
) -> tuple[Incident, School]:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise HTTPException(404, NOT_FOUND)
    school = caller.require_school_id(session, incident.school_id)
    return incident, school


@router.get("/{incident_id}", response_model=IncidentOut)
def get_incident(
    incident_id: IncidentId, session: SessionDep, caller: CallerDep, lang: Lang = "vi"
) -> IncidentOut:
    incident, school = _incident_in_scope(session, caller, incident_id)
    return incident_out(incident, school.district, timeline=True, lang=lang)


class _Transition(Protocol):
    """``alerting.incidents.acknowledge`` or ``resolve``."""

    def __call__(
        self, session: Session, incident_id: int, *, actor: str, note: str | None, now: datetime
    ) -> Incident: ...


def _change(
    session: Session,
    caller: Caller,
    incident_id: int,
    action: _Transition,
    note: str | None,
    now: datetime,
) -> IncidentOut:
    _, school = _incident_in_scope(session, caller, incident_id)
    caller.require_role("operator")
    try:
        incident = action(session, incident_id, actor=caller.token_name, note=note, now=now)
    except transitions.IncidentStateError as exc:
        raise HTTPException(409, str(exc)) from None
    session.refresh(incident)
    return incident_out(incident, school.district, timeline=True)


@router.post(
    "/{incident_id}/acknowledge",
    response_model=IncidentOut,
    responses={409: {"description": "The incident is not open"}},
)
def acknowledge_incident(
    incident_id: IncidentId,
    body: TransitionIn,
    session: SessionDep,
    caller: CallerDep,
    clock: ClockDep,
) -> IncidentOut:
    """Someone is on it: reminders stop; the incident stays until the problem is gone."""
    return _change(session, caller, incident_id, transitions.acknowledge, body.note, clock())


@router.post(
    "/{incident_id}/resolve",
    response_model=IncidentOut,
    responses={409: {"description": "The incident is already resolved"}},
)
def resolve_incident(
    incident_id: IncidentId,
    body: TransitionIn,
    session: SessionDep,
    caller: CallerDep,
    clock: ClockDep,
) -> IncidentOut:
    """Close it by hand (if the problem is still there, the rules open a new incident)."""
    return _change(session, caller, incident_id, transitions.resolve, body.note, clock())


@router.post("/{incident_id}/notes", response_model=IncidentOut)
def add_incident_note(
    incident_id: IncidentId, body: NoteIn, session: SessionDep, caller: CallerDep, clock: ClockDep
) -> IncidentOut:
    _, school = _incident_in_scope(session, caller, incident_id)
    caller.require_role("operator")
    incident = transitions.add_note(
        session, incident_id, actor=caller.token_name, note=body.note, now=clock()
    )
    session.refresh(incident)
    return incident_out(incident, school.district, timeline=True)
