"""When a school can be paged: the school calendar (hours, terms, holidays) decides.

The calendar lives in the registry (``schoolnet_collector.registry.calendar``), below both the
alert rules and notifications; this adapter is the one place notifications ask it, so a page
at 21:00 on a Friday or during Tết waits for the next school morning.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from schoolnet_collector.registry import calendar

log = logging.getLogger("schoolnet.notify")


def page_at(session: Session, school_id: str, when: datetime) -> datetime:
    """``when`` if the school is open then, else the start of its next school time."""
    if calendar.is_school_time(session, school_id, when):
        return when
    nxt = calendar.next_school_time(session, school_id, when)
    return (nxt if nxt is not None else when).astimezone(timezone.utc)
