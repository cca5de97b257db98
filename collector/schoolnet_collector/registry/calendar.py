"""The school calendar: when a school is in session, in Asia/Ho_Chi_Minh.

A school is in session when the local date is inside a term, not a holiday, and the local time
is inside that weekday's hours. Rows with ``school_id`` NULL are the province's calendar; a
school with hours (or terms) of its own uses those instead, and its holidays add to the
province's. Alert rules use it for devices expected only in school hours; notifications use
``next_school_time`` for quiet hours. It lives beside the tables it reads, below both, so
neither has to ask the other.

No term rows at all, or a date outside the span the terms cover, means "no term data": the
date counts as a school day, so a registry whose calendar is missing or out of date alerts
rather than stays silent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolnet_collector.registry.alerting_models import Holiday, SchoolHours, SchoolTerm

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SEARCH_DAYS = 400  # next_school_time looks this far ahead (past the summer break)
CalendarRow = TypeVar("CalendarRow", SchoolHours, SchoolTerm, Holiday)
Table = TypeVar("Table")


class Calendar:
    """Every school's calendar read once (one query per table), for a whole evaluation pass."""

    def __init__(
        self,
        hours: Iterable[SchoolHours],
        terms: Iterable[SchoolTerm],
        holidays: Iterable[Holiday],
    ) -> None:
        self._hours: dict[str | None, dict[int, list[tuple[time, time]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for h in hours:
            self._hours[h.school_id][h.weekday].append((h.opens, h.closes))
        self._terms: dict[str | None, list[tuple[date, date]]] = defaultdict(list)
        for t in terms:
            self._terms[t.school_id].append((t.starts_on, t.ends_on))
        self._holidays: dict[str | None, list[tuple[date, date]]] = defaultdict(list)
        for holiday in holidays:
            self._holidays[holiday.school_id].append((holiday.starts_on, holiday.ends_on))

    @classmethod
    def load(cls, session: Session, school_id: str | None = None) -> Calendar:
        def rows(table: type[CalendarRow]) -> list[CalendarRow]:
            q = select(table)
            if school_id is not None:
                q = q.where((table.school_id.is_(None)) | (table.school_id == school_id))
            return list(session.scalars(q))

        return cls(rows(SchoolHours), rows(SchoolTerm), rows(Holiday))

    def _own_or_default(
        self, table: dict[str | None, Table], school_id: str, empty: Table
    ) -> Table:
        return table[school_id] if table.get(school_id) else table.get(None) or empty

    def is_school_day(self, school_id: str, day: date) -> bool:
        terms = self._own_or_default(self._terms, school_id, [])
        # Outside the span the terms cover, the calendar says nothing (not updated for a new
        # school year yet): count the day as a school day rather than silence alerts.
        if (
            terms
            and min(s for s, _ in terms) <= day <= max(e for _, e in terms)
            and not any(s <= day <= e for s, e in terms)
        ):
            return False
        holidays = self._holidays.get(None, []) + self._holidays.get(school_id, [])
        return not any(s <= day <= e for s, e in holidays)

    def hours_on(self, school_id: str, day: date) -> list[tuple[time, time]]:
        if not self.is_school_day(school_id, day):
            return []
        return sorted(self._own_or_default(self._hours, school_id, {}).get(day.weekday(), []))

    def is_school_time(self, school_id: str, at: datetime) -> bool:
        local = at.astimezone(VN)
        now = local.time().replace(tzinfo=None)
        return any(o <= now < c for o, c in self.hours_on(school_id, local.date()))

    def next_school_time(self, school_id: str, at: datetime) -> datetime | None:
        """``at`` if the school is in session, else when it next is (local time); None when
        no session is found within SEARCH_DAYS (no hours configured)."""
        local = at.astimezone(VN)
        for offset in range(SEARCH_DAYS):
            day = local.date() + timedelta(days=offset)
            for opens, closes in self.hours_on(school_id, day):
                start = datetime.combine(day, opens, VN)
                end = datetime.combine(day, closes, VN)
                if local < end:
                    return max(start, local)
        return None


def is_school_time(session: Session, school_id: str, at: datetime) -> bool:
    return Calendar.load(session, school_id).is_school_time(school_id, at)


def next_school_time(session: Session, school_id: str, at: datetime) -> datetime | None:
    """When the school is next in session (``at`` itself if it is now), Asia/Ho_Chi_Minh."""
    return Calendar.load(session, school_id).next_school_time(school_id, at)
