"""Incidents as the API lists them and the school page shows them: newest first, filtered,
within the caller's scope (through the incident's school)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from schoolnet_collector import i18n
from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import School

IncidentFilter = Literal["open", "acknowledged", "resolved", "active"]
"""``active``: open or acknowledged."""


class TimelineEvent(BaseModel):
    at: datetime
    kind: str = Field(description="opened, acknowledged, resolved, flapping, escalated, note…")
    actor: str = Field(description="a token's name, or 'rules' for the evaluator")
    note: str | None = None


class IncidentOut(BaseModel):
    id: int
    key: str = Field(examples=["school_offline:lc-bx-th-012"])
    rule: str
    school_id: str
    district: str
    device_id: str | None
    severity: Literal["info", "warning", "critical"]
    state: Literal["open", "acknowledged", "resolved"]
    flapping: bool
    summary: str = Field(description="in the language asked for (lang), from the message id")
    summary_id: str | None = Field(
        None, description="the summary's message id (English); null for a literal summary"
    )
    summary_args: dict[str, Any] | None = Field(
        None, description="the message's arguments, as stored (JSON)"
    )
    details: dict[str, Any]  # the rule's figures (JSON)
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    timeline: list[TimelineEvent] | None = Field(None, description="only when reading one incident")


class IncidentPage(BaseModel):
    total: int
    items: list[IncidentOut]


def incident_out(
    incident: Incident, district: str, timeline: bool = False, lang: str = i18n.DEFAULT_LANGUAGE
) -> IncidentOut:
    """The incident as the API answers it, its summary written in ``lang``."""
    args = incident.summary_args
    return IncidentOut(
        id=incident.id,
        key=incident.key,
        rule=incident.rule,
        school_id=incident.school_id,
        district=district,
        device_id=incident.device_id,
        severity=incident.severity,
        state=incident.state,
        flapping=incident.flapping,
        summary=incident.summary_text(lang),
        summary_id=incident.summary_id,
        summary_args=args if isinstance(args, dict) else None,
        details=incident.details or {},
        opened_at=utc(incident.opened_at),
        acknowledged_at=utc(incident.acknowledged_at),
        acknowledged_by=incident.acknowledged_by,
        resolved_at=utc(incident.resolved_at),
        resolved_by=incident.resolved_by,
        timeline=[
            TimelineEvent(at=utc(e.at), kind=e.kind, actor=e.actor, note=e.note)
            for e in incident.events
        ]
        if timeline
        else None,
    )


def incident_page(
    session: Session,
    scope: ColumnElement[bool],
    school: str | None = None,
    district: str | None = None,
    state: IncidentFilter | None = None,
    rule: str | None = None,
    severity: str | None = None,
    limit: int = 100,
    offset: int = 0,
    lang: str = i18n.DEFAULT_LANGUAGE,
) -> IncidentPage:
    """The incidents of the schools in ``scope`` that match every filter given."""
    query = (
        select(Incident, School.district).join(School, School.id == Incident.school_id).where(scope)
    )
    if school:
        query = query.where(Incident.school_id == school)
    if district:
        query = query.where(School.district == district)
    if state == "active":
        query = query.where(Incident.state != "resolved")
    elif state:
        query = query.where(Incident.state == state)
    if rule:
        query = query.where(Incident.rule == rule)
    if severity:
        query = query.where(Incident.severity == severity)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.execute(
        query.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit).offset(offset)
    ).all()
    return IncidentPage(total=total, items=[incident_out(i, d, lang=lang) for i, d in rows])
