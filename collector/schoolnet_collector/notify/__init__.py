"""Notifications: who hears about an incident, on which channel, and when.

The alert engine calls :func:`enqueue_for_transition` inside the same database transaction that
changes an incident, so a notification exists if and only if the transition was committed.
Delivery happens later, in the delivery worker (``worker.py``), from the outbox table
(``outbox.py``); messages are rendered at send time (``render.py``), see ``routing.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from schoolnet_collector.registry.alerting_models import Incident

__all__ = ["enqueue_for_transition"]


def enqueue_for_transition(
    session: Session, incident: Incident, transition: str, now: datetime
) -> None:
    """Queue the notifications an incident transition calls for (``opened``, ``acknowledged``,
    ``resolved``).

    Called by the alert engine inside the incident's transaction; adds outbox rows to
    ``session`` and never commits. Nothing is rendered here: a template problem must never
    roll back an incident, and a page held for the morning should tell the state of the
    morning (or be dropped when the school came back overnight).
    """
    from schoolnet_collector.notify.routing import route

    route(session, incident, transition, now)
