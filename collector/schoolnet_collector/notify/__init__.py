"""Notifications: who hears about an incident, on which channel, and when.

The alert engine calls :func:`enqueue_for_transition` inside the same database transaction that
changes an incident, so a notification exists if and only if the transition was committed.
Delivery happens later, in the delivery worker, from the outbox table.
"""
from __future__ import annotations

from datetime import datetime

__all__ = ["enqueue_for_transition"]


def enqueue_for_transition(session, incident, transition: str, now: datetime) -> None:
    """Queue the notifications an incident transition calls for (opened, acknowledged, resolved).

    Called by the alert engine inside the incident's transaction; adds outbox rows to
    ``session`` and never commits. (Interface fixed first; routing arrives next.)
    """
    return None
