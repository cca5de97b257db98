"""device_offline: a device expected up has stopped reporting."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from schoolnet_collector.alerting.rules.base import Out, Rule, School
from schoolnet_collector.i18n import N_, Text


class DeviceOffline(Rule):
    """A device whose presence is ``always``, or ``school_hours`` within the school calendar's
    hours, is offline: its MQTT Will said so, or it has been silent for
    ``offline_after_intervals`` of its report intervals. An ``optional`` device never alerts;
    a ``school_hours`` device outside them is not judged. Presence comes from the device's own
    setting in the registry, else the rule file's ``presence`` for its kind."""

    summary: ClassVar[Text] = N_("Device %(device)s is offline")
    offline_after_intervals: float = Field(
        3, gt=1, description="silent this many report intervals counts as offline (all rules)"
    )

    def find(self, school: School, out: Out) -> None:
        for d in school.devices:
            presence = school.presence(d)
            if presence == "optional":
                continue
            if presence == "school_hours" and not school.school_time():
                out.cannot_judge(d.device_id)
                continue
            went = school.gone[d.device_id]
            if went:
                out.hold(
                    d.device_id,
                    d.device_id,
                    self.message(device=d.device_id),
                    since=went if presence == "always" else None,
                    kind=d.kind,
                )
