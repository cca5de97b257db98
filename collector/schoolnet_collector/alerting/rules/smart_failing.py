"""smart_failing: a disk's own SMART self-assessment says it is failing."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from schoolnet_collector.alerting.rules.base import Out, School, ValueRule
from schoolnet_collector.i18n import N_, Text


class SmartFailing(ValueRule):
    """The inventory's ``smart_failed_count`` (disks whose SMART status is failing) reaches
    ``threshold``. A failing disk loses the lab's work without warning: replace it. Judged from
    the last inventory, online or not (the disk does not heal while the PC is off)."""

    summary: ClassVar[Text] = N_("A disk of %(device)s fails SMART: replace it")
    threshold: float = Field(1, ge=0, description="opens at this many failing disks")
    for_minutes: float = Field(0, ge=0, description="the condition must hold this long to open")
    clear_minutes: float = Field(60, ge=0, description="and be gone this long to resolve")

    def find(self, school: School, out: Out) -> None:
        for d in school.devices:
            smart = school.readings(d.device_id).get("inventory.smart_failed_count")
            if smart is None or smart.value is None:
                continue
            if out.above(d.device_id, smart.value, self.threshold, self.clear_level):
                out.hold(d.device_id, d.device_id, self.message(device=d.device_id), smart.value)
