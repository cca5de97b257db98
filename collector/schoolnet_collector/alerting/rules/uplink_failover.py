"""uplink_failover: the school runs on its backup line (fibre → 3G)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from schoolnet_collector.alerting.rules.base import Out, Rule, School, Severity
from schoolnet_collector.alerting.rules.gateway import uplinks
from schoolnet_collector.i18n import N_, Text
from schoolnet_collector.registry.devices import utc


class UplinkFailover(Rule):
    """The gateway's main line is down and it has switched to the backup (often a 3G modem
    paid per megabyte). The ``uplink_changed`` event arrives before the next report, so the
    newer of the event and ``uplink.failover`` decides."""

    summary: ClassVar[Text] = N_("Main line down, running on the backup line (%(type)s)")
    severity: Severity = Field("info", description="how its notifications are marked")

    def find(self, school: School, out: Out) -> None:
        for uplink in uplinks(school, out):
            failover = uplink.fresh("uplink.failover")
            changed = uplink.values.get("event.uplink_changed")
            state = failover.value if failover is not None else None
            if changed is not None and (failover is None or utc(changed.at) > utc(failover.at)):
                state = changed.value  # the event arrives before the next report
            if state != 1:
                continue
            isp = uplink.values.get("uplink.isp")
            type_ = uplink.type or "backup"
            out.hold(
                "",
                uplink.gateway.device_id,
                self.message(type=type_),
                type=type_,
                isp=isp.text_value if isp is not None else None,
            )
