"""uplink_loss: high packet loss on the school's line (``uplink.loss_percent``)."""

from __future__ import annotations

from typing import ClassVar

from schoolnet_collector.alerting.rules.base import Out, School, UplinkRule
from schoolnet_collector.alerting.rules.gateway import uplinks
from schoolnet_collector.i18n import N_, Pct, Text


class UplinkLoss(UplinkRule):
    """The gateway's measured loss to its internet targets, against a threshold for its uplink
    type. Not judged while there is no internet at all (no_internet speaks then)."""

    summary: ClassVar[Text] = N_("High packet loss on the uplink: %(value)s")
    reading: ClassVar[str] = "uplink.loss_percent"

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
                        self.message(value=Pct(v.value / 100)),
                        v.value,
                        type=uplink.type or "other",
                        threshold=threshold,
                    )
