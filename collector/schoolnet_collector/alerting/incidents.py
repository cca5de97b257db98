"""Incident transitions, each one database transaction, safe with several collectors at once.

- opening inserts the incident and its ``opened`` event; the partial unique index
  ``ux_incidents_open_key`` makes a second collector's insert for the same key fail, and that
  collector rolls back and moves on (the incident exists, opened once);
- acknowledging and resolving are conditional updates (``WHERE state = 'open'`` …): of two
  callers, exactly one changes the row and writes the timeline event;
- inside the same transaction the notification outbox is filled
  (``schoolnet_collector.notify.enqueue_for_transition``), so a notification exists if and
  only if its transition was committed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schoolnet_collector.i18n import Deferred
from schoolnet_collector.registry.alerting_models import Incident, IncidentEvent
from schoolnet_collector.registry.db import rowcount

log = logging.getLogger("schoolnet.alerting")

RULES_ACTOR = "rules"  # the actor of transitions the evaluator makes


class Enqueue(Protocol):
    def __call__(
        self, session: Session, incident: Incident, transition: str, now: datetime
    ) -> None: ...


def _no_notifications(session: Session, incident: Incident, transition: str, now: datetime) -> None:
    return None


def default_enqueue() -> Enqueue:
    """The notification engine's entry point, or a no-op where it is not installed."""
    try:
        from schoolnet_collector.notify import enqueue_for_transition
    except ImportError:
        return _no_notifications
    return enqueue_for_transition


class IncidentStateError(ValueError):
    """The transition does not apply to the incident's current state (e.g. acknowledging a
    resolved incident)."""


def open_incident(
    session: Session,
    *,
    key: str,
    rule: str,
    school_id: str,
    device_id: str | None,
    severity: str,
    summary: Deferred | str,
    details: dict[str, Any],
    now: datetime,
    flapping: bool = False,
    enqueue: Enqueue | None = None,
) -> Incident | None:
    """Open an incident for ``key``; None when one is already open (another collector won).

    A ``Deferred`` summary (what rules give) is stored as its message id and arguments, and its
    English as the literal text; a plain string (a person's words) is stored as it is."""
    enqueue = enqueue or default_enqueue()
    if isinstance(summary, Deferred):
        literal, summary_id = summary.render("en"), summary.message
        summary_args: dict[str, Any] | None = summary.to_json()["args"]
    else:
        literal, summary_id, summary_args = summary, None, None
    incident = Incident(
        key=key,
        rule=rule,
        school_id=school_id,
        device_id=device_id,
        severity=severity,
        state="open",
        flapping=flapping,
        summary=literal,
        summary_id=summary_id,
        summary_args=summary_args,
        details=details,
        opened_at=now,
    )
    session.add(incident)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return None
    _event(session, incident, now, "opened", RULES_ACTOR, literal)
    enqueue(session, incident, "opened", now)
    if flapping:
        _event(
            session,
            incident,
            now,
            "flapping",
            RULES_ACTOR,
            "opened again and again: one incident until it settles",
        )
        enqueue(session, incident, "flapping", now)
    try:
        session.commit()
    except IntegrityError:  # the unique index may only bite at commit on some backends
        session.rollback()
        return None
    return incident


def acknowledge(
    session: Session,
    incident_id: int,
    *,
    actor: str,
    note: str | None,
    now: datetime,
    enqueue: Enqueue | None = None,
) -> Incident:
    return _transition(
        session,
        incident_id,
        ("open",),
        "acknowledged",
        actor,
        note,
        now,
        {"state": "acknowledged", "acknowledged_at": now, "acknowledged_by": actor},
        enqueue,
    )


def act(
    session: Session, incident_id: int, action: str, *, actor: str, note: str | None, now: datetime
) -> Incident:
    """``acknowledge`` or ``resolve`` by name: what a message's link or button asks for
    (``notify.actions``); IncidentStateError when it no longer applies."""
    step = {"acknowledge": acknowledge, "resolve": resolve}.get(action)
    if step is None:
        raise IncidentStateError(f"unknown action {action!r}")
    return step(session, incident_id, actor=actor, note=note, now=now)


def resolve(
    session: Session,
    incident_id: int,
    *,
    actor: str,
    note: str | None,
    now: datetime,
    enqueue: Enqueue | None = None,
) -> Incident:
    return _transition(
        session,
        incident_id,
        ("open", "acknowledged"),
        "resolved",
        actor,
        note,
        now,
        {"state": "resolved", "resolved_at": now, "resolved_by": actor},
        enqueue,
    )


def add_note(
    session: Session, incident_id: int, *, actor: str, note: str, now: datetime
) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise LookupError(incident_id)
    _event(session, incident, now, "note", actor, note)
    session.commit()
    return incident


def _transition(
    session: Session,
    incident_id: int,
    from_states: tuple[str, ...],
    kind: str,
    actor: str,
    note: str | None,
    now: datetime,
    values: dict[str, object],
    enqueue: Enqueue | None,
) -> Incident:
    enqueue = enqueue or default_enqueue()
    changed = session.execute(
        update(Incident)
        .where(Incident.id == incident_id, Incident.state.in_(from_states))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if rowcount(changed) != 1:
        session.rollback()
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise LookupError(incident_id)
        raise IncidentStateError(f"incident {incident_id} is {incident.state}; cannot be {kind}")
    incident = session.scalars(
        select(Incident).where(Incident.id == incident_id).execution_options(populate_existing=True)
    ).one()
    _event(session, incident, now, kind, actor, note)
    enqueue(session, incident, kind, now)
    session.commit()
    return incident


def _event(
    session: Session, incident: Incident, at: datetime, kind: str, actor: str, note: str | None
) -> None:
    session.add(IncidentEvent(incident_id=incident.id, at=at, kind=kind, actor=actor, note=note))
