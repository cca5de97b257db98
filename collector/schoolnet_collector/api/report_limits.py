"""How much of InfluxDB one report request may occupy, by the caller's role.

A report reads every school of its scope over its whole period; a viewer token asking for a
province over 400 days would keep InfluxDB busy for everyone else. The API and the pages
refuse such a request with a 400 that says the limit and what to ask instead; the ``report``
command on the collector host has no limit (whoever runs it already has the database).
Limits come from ``[api.report_limits]`` (``core.config``), one per role.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from schoolnet_collector.core.access import Scope
from schoolnet_collector.core.config import ApiConfig, ReportLimit, default_report_limits
from schoolnet_collector.planning.period import Period
from schoolnet_collector.planning.scope import school_filter
from schoolnet_collector.registry.models import School

DAY = 86400.0


@dataclass(frozen=True)
class TooLarge:
    """Why a report is refused: ``kind`` is ``period`` or ``size``; the figures say by how much."""

    kind: str
    role: str
    asked: int
    allowed: int

    def __str__(self) -> str:
        if self.kind == "period":
            return (
                f"period: {self.asked} days is longer than a {self.role} token may ask for "
                f"(at most {self.allowed}d)"
            )
        return (
            f"report size: {self.asked} school-days (schools in the scope x days) is more than "
            f"a {self.role} token may ask for (at most {self.allowed}); choose a commune or "
            "a school, or a shorter period"
        )


def limit_for(role: str, api: ApiConfig) -> ReportLimit:
    """The role's limit; a role the configuration leaves out keeps its default."""
    limits = {**default_report_limits(), **api.report_limits}
    for name, limit in limits.items():
        if name == role:
            return limit
    raise ValueError(f"unknown role {role!r}")


def too_large(
    session: Session, role: str, scope: Scope, period: Period, api: ApiConfig
) -> TooLarge | None:
    """None when the report fits the role's limits; otherwise which limit it exceeds."""
    limit = limit_for(role, api)
    days = max(1, round(period.seconds / DAY))
    if days > limit.period_days:
        return TooLarge("period", role, days, limit.period_days)
    schools = session.scalar(select(func.count()).select_from(School).where(school_filter(scope)))
    size = (schools or 0) * days
    if size > limit.school_days:
        return TooLarge("size", role, size, limit.school_days)
    return None
