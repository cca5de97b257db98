"""The uplink as a school's gateway reports it: what the four uplink rules share.

Only readings newer than the gateway's allowed silence count (an old ``uplink.up = 0`` says
nothing about now); an offline gateway's uplink cannot be judged at all, since device_offline
or school_offline speaks for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from schoolnet_collector.alerting.rules.base import Out, School
from schoolnet_collector.alerting.snapshot import DEFAULT_INTERVAL, DeviceRow, ReadingRow
from schoolnet_collector.registry.devices import utc


@dataclass(frozen=True)
class Uplink:
    gateway: DeviceRow
    values: dict[str, ReadingRow]
    fresh_after: datetime

    def fresh(self, name: str) -> ReadingRow | None:
        v = self.values.get(name)
        return v if v is not None and utc(v.at) >= self.fresh_after else None

    @property
    def type(self) -> str | None:
        reading = self.fresh("uplink.type")
        return reading.text_value if reading else None

    @property
    def internet_down(self) -> bool:
        """The gateway says its internet targets are unreachable (loss and latency then say
        nothing more)."""
        up = self.fresh("uplink.up")
        return up is not None and up.value is not None and up.value == 0


def uplinks(school: School, out: Out) -> Iterator[Uplink]:
    """The uplink of each online gateway; an offline gateway's is marked unjudged in ``out``."""
    for gw in school.gateways:
        if school.gone[gw.device_id] is not None:
            out.cannot_judge()
            continue
        silence = school.offline_after_intervals * (gw.interval_seconds or DEFAULT_INTERVAL)
        yield Uplink(gw, school.readings(gw.device_id), school.now - timedelta(seconds=silence))
