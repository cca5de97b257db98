"""lan_host_unknown: a device nobody registered on the school LAN."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field

from schoolnet_collector.alerting.rules.base import Out, Rule, School, Severity
from schoolnet_collector.i18n import N_, Text
from schoolnet_collector.registry.devices import utc


class LanHostUnknown(Rule):
    """The gateway's LAN scan saw a MAC address that is neither registered nor in the school's
    known list (``lan_host_unknown`` events), within the last hour. Off by default: a school
    LAN has phones and visitors' laptops; a school that locks its LAN down turns it on."""

    summary: ClassVar[Text] = N_("Unknown device on the school LAN: %(mac)s")
    enabled: bool = Field(False, description="false: the rule finds nothing; its incidents clear")
    severity: Severity = Field("info", description="how its notifications are marked")
    for_minutes: float = Field(0, ge=0, description="the condition must hold this long to open")
    clear_minutes: float = Field(1440, ge=0, description="and be gone this long to resolve")

    def find(self, school: School, out: Out) -> None:
        for d in school.devices:
            for name, v in school.readings(d.device_id).items():
                if name.startswith("event.lan_host_unknown:") and school.now - utc(
                    v.at
                ) <= timedelta(hours=1):
                    mac = name.split(":", 1)[1]
                    out.hold(
                        mac,
                        None,
                        self.message(mac=mac),
                        mac=mac,
                        seen_by=d.device_id,
                        hint=v.text_value,
                    )
