"""Budgets per device and day: what one device may create in InfluxDB and in the registry.

Every new series (measurement + instance), field key, event type or device id is memory and
index in InfluxDB forever, so one gateway inventing ids, or a lab PC sending a new metric name
each minute, would slow the whole province. Each device gets a daily budget of new names
(``ingest.max_*``); past it, only the excess is refused (``over_budget``): what the device
already writes keeps flowing, other devices are not touched, and the school is named once in
``exceeded`` so the registry thread opens one incident for it.

The check is one set lookup per metric of a report: the names a device has used today are
remembered, so the steady state (the same series every minute) costs no counting. Under a
``$share`` group each collector keeps its own budgets: a device's budget is per collector.
"""

from __future__ import annotations

import threading
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Limits:
    series: int = 512
    fields: int = 2048
    event_types: int = 32
    new_devices: int = 200


@dataclass(slots=True)
class _Device:
    series: dict[tuple[str, str | None], frozenset[str]] = field(default_factory=dict)
    fields: int = 0
    event_types: set[str] = field(default_factory=set)


class Budgets:
    def __init__(self, limits: Limits, known_devices: set[tuple[str, str]] | None = None):
        self.limits = limits
        self.known = set(known_devices or ())  # in the registry already: not new today
        self._day = -1
        self._devices: dict[tuple[str, str], _Device] = {}
        self._new: dict[str, int] = {}  # school → device ids first heard today
        self._exceeded: dict[str, str] = {}  # school → what, not yet handed out
        self._named: set[str] = set()  # schools handed out today: one incident a day
        self._lock = threading.Lock()

    def set_known(self, known: set[tuple[str, str]]) -> None:
        with self._lock:
            self.known |= known

    def _today(self, now_ms: int) -> None:
        day = now_ms // DAY_MS
        if day != self._day:
            self._day, self._devices, self._new, self._named = day, {}, {}, set()

    def device(self, school: str, device: str, now_ms: int) -> bool:
        """True if the device may report: known, or new within its school's daily budget."""
        key = (school, device)
        with self._lock:
            self._today(now_ms)
            if key in self._devices:
                return True
            if key not in self.known:
                count = self._new.get(school, 0)
                if count >= self.limits.new_devices:
                    self._exceeded.setdefault(school, "new_devices")
                    return False
                self._new[school] = count + 1
                self.known.add(key)
            self._devices[key] = _Device()
            return True

    def series(
        self, school: str, device: str, name: str, instance: str | None, keys: AbstractSet[str]
    ) -> bool:
        """True if this metric's series and field keys fit the device's budget (``device``
        was called first for this report)."""
        d = self._devices.get((school, device))
        if d is None:  # a new day began between the two calls: count it from now
            return True
        known = d.series.get((name, instance))
        if known is not None and keys <= known:
            return True
        with self._lock:
            if known is None and len(d.series) >= self.limits.series:
                self._exceeded.setdefault(school, "series")
                return False
            added = len(keys - known) if known is not None else len(keys)
            if d.fields + added > self.limits.fields:
                self._exceeded.setdefault(school, "fields")
                return False
            d.fields += added
            d.series[(name, instance)] = frozenset(keys) | (known or frozenset())
            return True

    def event_type(self, school: str, device: str, event_type: str) -> bool:
        d = self._devices.get((school, device))
        if d is None or event_type in d.event_types:
            return True
        with self._lock:
            if len(d.event_types) >= self.limits.event_types:
                self._exceeded.setdefault(school, "event_types")
                return False
            d.event_types.add(event_type)
            return True

    def exceeded(self) -> dict[str, str]:
        """Schools that went over a budget since the last call (school → which budget)."""
        with self._lock:
            out = {s: what for s, what in self._exceeded.items() if s not in self._named}
            self._exceeded = {}
            self._named |= set(out)
        return out
