"""When a school can be paged: the school calendar (hours, terms, holidays) decides.

The calendar itself belongs to the alerting part (``schoolnet_collector.alerting.calendar``);
this adapter is the one place notifications ask it, so a page at 21:00 on a Friday or during
Tết waits for the next school morning.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy.orm import Session

log = logging.getLogger("schoolnet.notify")


def page_at(session: Session, school_id: str, when: datetime) -> datetime:
    """``when`` if the school is open then, else the start of its next school time."""
    from schoolnet_collector.alerting import calendar

    if calendar.is_school_time(session, school_id, when):
        return when
    nxt = calendar.next_school_time(session, school_id, when)
    return (nxt if nxt is not None else when).astimezone(timezone.utc)
