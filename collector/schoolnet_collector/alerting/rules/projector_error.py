"""projector_error: a projector reports a PJLink error or warning."""

from __future__ import annotations

from typing import ClassVar

from schoolnet_collector.alerting.rules.base import Out, Rule, School
from schoolnet_collector.i18n import N_, Text


class ProjectorError(Rule):
    """``projector.error`` is 1: any of PJLink's error or warning flags (lamp, fan,
    temperature, cover, filter) is set. Not judged while the projector is offline."""

    summary: ClassVar[Text] = N_("Projector %(device)s reports an error")

    def find(self, school: School, out: Out) -> None:
        for d in school.devices:
            error = school.readings(d.device_id).get("projector.error")
            if error is None:
                continue
            if school.gone[d.device_id] is not None:
                out.cannot_judge(d.device_id)
            elif error.value == 1:
                out.hold(d.device_id, d.device_id, self.message(device=d.device_id))
