"""The registry's schools in a report's scope: the where-clause and the list every report starts
from (a scope with no school is a mistake the user hears about, not an empty report).

Sites of units (the Sở's office, a commune office: ``registry.sites``) are never in it: every
planning figure is a figure about schools, so a site's devices, link and lab stay out of the
readiness report, the procurement plan and the per-role size limits alike.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from schoolnet_collector.core.access import Scope
from schoolnet_collector.planning.period import ReportArgumentError
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.sites import schools_only
from schoolnet_collector.registry.units import scope_filter


def school_filter(scope: Scope) -> ColumnElement[bool]:
    """The schools a report on ``scope`` counts: those the scope covers, never a site."""
    return and_(scope_filter(scope), schools_only())


def scope_schools(session: Session, scope: Scope) -> list[School]:
    """The registry's schools in ``scope``; ReportArgumentError when there are none."""
    schools = list(session.scalars(select(School).where(school_filter(scope)).order_by(School.id)))
    if not schools:
        site = session.scalar(select(School.site_of).where(scope_filter(scope)).limit(1))
        what = {
            "province": "the registry has no schools",
            "commune": f"the registry has no school run by commune {scope.id!r}",
        }.get(scope.kind, f"no {scope.kind} {scope.id!r} in the registry")
        if scope.kind == "school" and site:
            what = f"{scope.id!r} is a site of {site!r}, not a school: it has no school figures"
        raise ReportArgumentError(f"scope {scope}: {what}")
    return schools
