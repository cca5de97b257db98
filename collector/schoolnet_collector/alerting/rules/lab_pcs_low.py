"""lab_pcs_low: too few of a school's lab PCs still in use."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field

from schoolnet_collector.alerting.rules.base import Out, Rule, School
from schoolnet_collector.i18n import N_, Num, Text
from schoolnet_collector.registry.devices import utc


class LabPcsLow(Rule):
    """Fewer than ``min_working`` of the school's lab PCs have reported within
    ``seen_within_days``. Lab PCs are off outside lessons, so none of them alerts on its own;
    a lab that has quietly lost its PCs cannot hold a class. A school with fewer lab PCs
    registered than ``min_working`` is not judged."""

    summary: ClassVar[Text] = N_("Only %(value)s lab PCs working")
    min_working: int = Field(5, ge=1, description="opens below this many working lab PCs")
    seen_within_days: float = Field(7, gt=0, description="a lab PC heard from within this works")

    def find(self, school: School, out: Out) -> None:
        lab = [d for d in school.devices if d.kind == "lab_pc"]
        if len(lab) < self.min_working:
            return
        recent = school.now - timedelta(days=self.seen_within_days)
        working = sum(1 for d in lab if utc(d.last_seen) >= recent)
        if working < self.min_working:
            out.hold("", None, self.message(value=Num(working, 0)), working, registered=len(lab))
