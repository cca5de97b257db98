"""spool_dropping: an agent's spool was full and it threw away reports it had not sent."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field

from schoolnet_collector.alerting.rules.base import Out, Rule, School
from schoolnet_collector.i18n import N_, Num, Text
from schoolnet_collector.registry.devices import utc


class SpoolDropping(Rule):
    """The agent's ``spool.dropped_total`` rose: its spool reached ``spool.max_mb`` while the
    broker was out of reach, and it dropped its oldest unsent reports. That data is lost at the
    source, and the next long outage will lose more: the school's line (or the PC's network)
    needs looking at, or the spool a larger bound. Holds for ``within_minutes`` after the rise
    was seen (the counter is cumulative: the collector reads its rises, ``alerting.readings``)."""

    summary: ClassVar[Text] = N_(
        "Device %(device)s dropped %(count)s unsent reports: its spool was full"
    )
    counters: ClassVar[tuple[str, ...]] = ("spool.dropped_total",)
    for_minutes: float = Field(0, ge=0, description="the condition must hold this long to open")
    clear_minutes: float = Field(60, ge=0, description="and be gone this long to resolve")
    within_minutes: float = Field(60, gt=0, description="a rise seen within this long holds")

    def find(self, school: School, out: Out) -> None:
        window = timedelta(minutes=self.within_minutes)
        for d in school.devices:
            rise = school.readings(d.device_id).get("rise.spool.dropped_total")
            if rise is None or not rise.value or school.now - utc(rise.at) > window:
                continue
            summary = self.message(device=d.device_id, count=Num(rise.value, 0))
            out.hold(d.device_id, d.device_id, summary, rise.value)
