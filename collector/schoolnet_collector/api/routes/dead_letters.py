"""Rejected messages, newest first: what a misconfigured agent sent and why it was refused."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from schoolnet_collector.api.deps import SessionDep
from schoolnet_collector.api.schemas import DeadLetterOut
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import DeadLetter

router = APIRouter(prefix="/api/v1/dead-letters", tags=["ingest"])


@router.get("", response_model=list[DeadLetterOut])
def list_dead_letters(
    session: SessionDep,
    reason: Annotated[str | None, Query(max_length=32, description="e.g. schema, not_json")] = None,
    school: Annotated[str | None, Query(max_length=63, pattern=r"^[a-z0-9][a-z0-9_-]*$",
                                        description="only messages on this school's topics")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeadLetterOut]:
    query = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
    if reason:
        query = query.where(DeadLetter.reason == reason)
    if school:
        query = query.where(DeadLetter.topic.startswith(f"schoolnet/v1/{school}/", autoescape=True))
    return [DeadLetterOut(id=d.id, received_at=utc(d.received_at), topic=d.topic, reason=d.reason,
                          detail=d.detail, payload_preview=d.payload[:500].decode("utf-8", "replace"),
                          payload_bytes=len(d.payload))
            for d in session.scalars(query)]
