"""projector_lamp: a projector's lamp near the end of its rated hours."""

from __future__ import annotations

from typing import ClassVar

from schoolnet_collector.alerting.rules.base import Out, School, ValueRule
from schoolnet_collector.i18n import N_, Pct, Text


class ProjectorLamp(ValueRule):
    """``lamp_hours / lamp_rated_hours`` (PJLink) at or above ``threshold`` (a ratio: 0.9 is
    90 %). A lamp is bought ahead: the Sở orders them for the next term."""

    summary: ClassVar[Text] = N_("Projector %(device)s lamp near end of life (%(value)s)")

    def find(self, school: School, out: Out) -> None:
        for d in school.devices:
            values = school.readings(d.device_id)
            hours, rated = (
                values.get("projector.lamp_hours"),
                values.get("projector.lamp_rated_hours"),
            )
            if not (hours and rated and rated.value and hours.value is not None):
                continue
            ratio = hours.value / rated.value
            if out.above(d.device_id, ratio, self.threshold, self.clear_level):
                out.hold(
                    d.device_id,
                    d.device_id,
                    self.message(device=d.device_id, value=Pct(ratio)),
                    ratio,
                    lamp_hours=hours.value,
                    lamp_rated_hours=rated.value,
                )
