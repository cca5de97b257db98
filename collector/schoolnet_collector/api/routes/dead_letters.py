"""Rejected messages, newest first: what a misconfigured agent sent and why it was refused.

A province token sees all of them (including topics that name no known school); a commune or
school token sees only those on its schools' topics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import ColumnElement, false, or_, select

from schoolnet_collector.api.auth import AUTH_RESPONSES, CallerDep
from schoolnet_collector.api.deps import SessionDep
from schoolnet_collector.api.schemas import DeadLetterOut
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import DeadLetter, School

router = APIRouter(prefix="/api/v1/dead-letters", tags=["ingest"], responses=AUTH_RESPONSES)


def _school_topics(school_id: str) -> ColumnElement[bool]:
    return DeadLetter.topic.startswith(f"schoolnet/v1/{school_id}/", autoescape=True)


@router.get("", response_model=list[DeadLetterOut])
def list_dead_letters(
    session: SessionDep,
    caller: CallerDep,
    reason: Annotated[str | None, Query(max_length=32, description="e.g. schema, not_json")] = None,
    school: Annotated[
        str | None,
        Query(
            max_length=63,
            pattern=r"^[a-z0-9][a-z0-9_-]*$",
            description="only messages on this school's topics",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterOut]:
    query = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
    if reason:
        query = query.where(DeadLetter.reason == reason)
    if school:
        if caller.scope_kind != "province":  # a province token may ask about unknown schools
            caller.require_school_id(session, school)
        query = query.where(_school_topics(school))
    elif caller.scope_kind != "province":
        ids = session.scalars(select(School.id).where(caller.school_ids_filter())).all()
        query = query.where(or_(false(), *[_school_topics(i) for i in ids]))
    return [
        DeadLetterOut(
            id=d.id,
            received_at=utc(d.received_at),
            topic=d.topic,
            reason=d.reason,
            detail=d.detail,
            payload_preview=d.payload[:500].decode("utf-8", "replace"),
            payload_bytes=len(d.payload),
        )
        for d in session.scalars(query)
    ]
