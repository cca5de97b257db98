"""school_offline: the gateway and every device silent, one incident for the whole school."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from schoolnet_collector.alerting.rules.base import Out, Rule, School, Severity
from schoolnet_collector.i18n import N_, Text


class SchoolOffline(Rule):
    """Every device of the school is offline, and the school has a gateway or a device that
    should always be up (a school of lab PCs only is quiet every night). One incident for the
    school instead of one per device; nothing beneath it is judged while it lasts. It opens
    from when the last device went silent, so a restarted collector does not wait again."""

    summary: ClassVar[Text] = N_("School offline: no report from its gateway or any device")
    severity: Severity = Field("critical", description="how its notifications are marked")

    def find(self, school: School, out: Out) -> None:
        gone = school.gone
        if not (
            school.devices
            and all(gone.values())
            and (school.gateways or any(school.presence(d) == "always" for d in school.devices))
        ):
            return
        out.school_offline()
        went = [t for t in gone.values() if t is not None]  # all of them, as checked above
        out.hold("", None, self.message(), since=max(went), devices=len(school.devices))
