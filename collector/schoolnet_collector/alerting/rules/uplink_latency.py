"""uplink_latency: a slow line (``uplink.rtt_ms``)."""

from __future__ import annotations

from typing import ClassVar

from schoolnet_collector.alerting.rules.base import Out, School, UplinkRule
from schoolnet_collector.alerting.rules.gateway import uplinks
from schoolnet_collector.i18n import N_, Num, Text


class UplinkLatency(UplinkRule):
    """The gateway's round trip to its internet targets, against a threshold for its uplink
    type (a 3G school's normal round trip would be an outage on fibre). Not judged while there
    is no internet at all."""

    summary: ClassVar[Text] = N_("High uplink latency: %(value)s ms")
    reading: ClassVar[str] = "uplink.rtt_ms"

    def find(self, school: School, out: Out) -> None:
        for uplink in uplinks(school, out):
            v = uplink.fresh(self.reading)
            if uplink.internet_down:
                out.cannot_judge()
            elif v is not None and v.value is not None:
                threshold = self.threshold.for_type(uplink.type)
                if out.above("", v.value, threshold, self.clear_below.for_type(uplink.type)):
                    out.hold(
                        "",
                        uplink.gateway.device_id,
                        self.message(value=Num(v.value, 0)),
                        v.value,
                        type=uplink.type or "other",
                        threshold=threshold,
                    )
