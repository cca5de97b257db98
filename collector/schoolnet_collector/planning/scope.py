"""The registry's schools in a report's scope: the where-clause and the list every report starts
from (a scope with no school is a mistake the user hears about, not an empty report)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolnet_collector.core.access import Scope
from schoolnet_collector.planning.period import ReportArgumentError
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.units import scope_filter


def scope_schools(session: Session, scope: Scope) -> list[School]:
    """The registry's schools in ``scope``; ReportArgumentError when there are none."""
    schools = list(session.scalars(select(School).where(scope_filter(scope)).order_by(School.id)))
    if not schools:
        what = {
            "province": "the registry has no schools",
            "commune": f"the registry has no school run by commune {scope.id!r}",
        }.get(scope.kind, f"no {scope.kind} {scope.id!r} in the registry")
        raise ReportArgumentError(f"scope {scope}: {what}")
    return schools
