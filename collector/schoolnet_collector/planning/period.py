"""What a report covers: a scope (province, one district, one school) and a period ending now.

The scope's text form is the API tokens' (``province``, ``district:<id>``, ``school:<id>``;
``core.access.Scope``), so a caller's scope and a report's scope compare directly.
``now`` is always passed in: reports are reproducible and tests need no waiting. Nothing here
touches the registry (``planning.scope`` does), so the ``report`` command checks its arguments
without loading the database layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from schoolnet_collector.core.access import Scope, TokenError

PERIOD_RE = re.compile(r"^([1-9][0-9]{0,3})([hdw])$")
UNIT_HOURS = {"h": 1, "d": 24, "w": 24 * 7}
MAX_PERIOD = timedelta(days=400)  # a school year and a bit; InfluxDB keeps raw data no longer


class ReportArgumentError(ValueError):
    """A scope, period or year that cannot be used; the message says what is accepted."""


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    text: str

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


def parse_period(text: str, now: datetime) -> Period:
    m = PERIOD_RE.match(text.strip())
    if not m:
        raise ReportArgumentError(
            f"period {text!r}: expected a number and a unit h, d or w (e.g. 30d, 12w, 48h)"
        )
    length = timedelta(hours=int(m.group(1)) * UNIT_HOURS[m.group(2)])
    if length > MAX_PERIOD:
        raise ReportArgumentError(f"period {text!r}: at most {MAX_PERIOD.days}d")
    return Period(now - length, now, text.strip())


def parse_scope(text: str) -> Scope:
    try:
        return Scope.parse(text)
    except TokenError as exc:
        raise ReportArgumentError(str(exc)) from None


def school_hour_windows(
    period: Period, timezone: str, start_hour: int, end_hour: int
) -> list[tuple[datetime, datetime]]:
    """The school-hours part (Monday to Saturday, local time) of each day in the period."""
    zone = ZoneInfo(timezone)
    day = period.start.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    windows = []
    while day < period.end:
        if day.weekday() < 6:
            a = max(period.start, day.replace(hour=start_hour))
            b = min(
                period.end, day.replace(hour=end_hour) if end_hour < 24 else day + timedelta(days=1)
            )
            if a < b:
                windows.append((a, b))
        day = (day + timedelta(days=1, hours=2)).replace(hour=0)  # safe across DST changes
    return windows
