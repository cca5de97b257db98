"""no_internet: the gateway reports, but none of its internet targets answer."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from schoolnet_collector.alerting.rules.base import Out, Rule, School, Severity
from schoolnet_collector.alerting.rules.gateway import uplinks
from schoolnet_collector.i18n import N_, Text


class NoInternet(Rule):
    """The gateway is online and says ``uplink.up = 0``: the school's line (or its ISP) is
    down while the school itself has power and a working LAN. The teacher checks the modem;
    the Sở calls the ISP."""

    summary: ClassVar[Text] = N_("No internet: the gateway is up but cannot reach the internet")
    severity: Severity = Field("critical", description="how its notifications are marked")

    def find(self, school: School, out: Out) -> None:
        for uplink in uplinks(school, out):
            if uplink.internet_down:
                out.hold("", uplink.gateway.device_id, self.message(), type=uplink.type or "")
