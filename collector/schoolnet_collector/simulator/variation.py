"""Small helpers for plausible values: stable per-device traits and time-of-day activity.

Stable traits (a PC's RAM, a projector's lamp rating) come from a hash of seed, school and
device, so they need no per-device random generator (15,000 of those would cost ~40 MB) and
stay the same across runs with the same seed. Moment-to-moment noise uses one shared
generator: it need not be reproducible, only plausible.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

T = TypeVar("T")


def stable_unit(*parts: object) -> float:
    """A number in [0, 1) fixed by ``parts``, e.g. ``stable_unit(seed, school, device, "ram")``."""
    digest = hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def pick(unit: float, choices: tuple[T, ...]) -> T:
    """One of ``choices`` chosen by a stable unit number."""
    return choices[min(len(choices) - 1, int(unit * len(choices)))]


def between(unit: float, low: float, high: float) -> float:
    return low + unit * (high - low)


def clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


class SchoolClock:
    """Whether it is a school day's busy hours in the province's time zone (Mon-Sat)."""

    def __init__(self, timezone: str, school_day: tuple[int, int]):
        self.zone = ZoneInfo(timezone)
        self.start, self.end = school_day
        self._cached_minute = -1
        self._busy = False

    def busy(self, now: float) -> bool:
        minute = int(now // 60)
        if minute != self._cached_minute:
            local = datetime.fromtimestamp(now, self.zone)
            self._busy = local.weekday() < 6 and self.start <= local.hour < self.end
            self._cached_minute = minute
        return self._busy
