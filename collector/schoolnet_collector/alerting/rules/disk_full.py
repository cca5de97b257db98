"""disk_full: a device's fullest volume nearly full (``disk.used_percent``, any volume)."""

from __future__ import annotations

from typing import ClassVar

from schoolnet_collector.alerting.rules.base import Out, School, ValueRule
from schoolnet_collector.i18n import N_, Pct, Text


class DiskFull(ValueRule):
    """The fullest volume of a device at or above ``threshold`` percent. A full disk stops
    updates and lesson files; the teacher clears it before it does. Not judged while the device
    is offline (its last figure may be old)."""

    summary: ClassVar[Text] = N_("Disk of %(device)s nearly full: %(value)s")

    def find(self, school: School, out: Out) -> None:
        for d in school.devices:
            disks = [
                v.value
                for n, v in school.readings(d.device_id).items()
                if n.startswith("disk.used_percent:") and v.value is not None
            ]
            if not disks:
                continue
            if school.gone[d.device_id] is not None:
                out.cannot_judge(d.device_id)
            elif out.above(d.device_id, max(disks), self.threshold, self.clear_level):
                used = max(disks)
                summary = self.message(device=d.device_id, value=Pct(used / 100))
                out.hold(d.device_id, d.device_id, summary, used)
