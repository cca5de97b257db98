"""The daily digest: one message a day to each managing body's staff, about its own schools.

A ``commune`` contact hears about the schools its commune runs; a ``province`` contact (the
Sở) about the schools the Sở runs and those no commune office hears about yet (a commune with
no active contact, a school with no commune): the same schools its escalations reach
(``routing.body_contacts``), so nothing falls between two offices.

Queued by the worker once the local time passes ``notify.digest_at`` (one row per contact and
channel, dedup key ``digest:<day>:<contact>:<channel>``, so several collectors queue it once);
written at send time from the incidents of the 24 hours before ``digest_at`` of those
schools, grouped by commune, plus everything still open.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from schoolnet_collector.channels import Message
from schoolnet_collector.core.access import Scope
from schoolnet_collector.core.config import NotifyConfig
from schoolnet_collector.i18n import NP_, format_date
from schoolnet_collector.notify import outbox, routing
from schoolnet_collector.notify.outbox import Notification
from schoolnet_collector.notify.render import Renderer
from schoolnet_collector.registry.alerting_models import Contact, Incident
from schoolnet_collector.registry.models import School, Unit
from schoolnet_collector.registry.units import COMMUNE_TYPES, UNASSIGNED, commune_run, scope_filter

STATES = {
    "open": NP_("incident state in a sentence", "open"),
    "acknowledged": NP_("incident state in a sentence", "acknowledged"),
    "resolved": NP_("incident state in a sentence", "resolved"),
}


def queue(session: Session, cfg: NotifyConfig, now: datetime) -> date | None:
    """Queue today's digest once its time has come; returns the day queued, if any."""
    if not cfg.digest_at:
        return None
    tz = ZoneInfo(cfg.timezone)
    local = now.astimezone(tz)
    at = time.fromisoformat(cfg.digest_at)
    if local.time() < at:
        return None
    day = local.date()
    for contact in session.scalars(
        select(Contact).where(Contact.role.in_(("province", "commune")), Contact.active.is_(True))
    ):
        body = f"commune:{contact.commune}" if contact.role == "commune" else "province"
        for channel, address in routing.contact_channels(contact, cfg):
            outbox.add(
                session,
                dedup_key=f"digest:{day.isoformat()}:{contact.id}:{channel}",
                now=now,
                kind="digest",
                transition="digest",
                contact_id=contact.id,
                channel=channel,
                address=address,
                language=contact.language or cfg.language,
                payload={"until": datetime.combine(day, at, tz).isoformat(), "body": body},
            )
    return day


def body_schools(session: Session, body: str) -> ColumnElement[bool]:
    """The schools a digest for ``body`` (``province`` or ``commune:<code>``) is about."""
    if body.startswith("commune:"):
        return scope_filter(Scope("commune", body.removeprefix("commune:")))
    with_office = select(Contact.commune).where(
        Contact.role == "commune", Contact.active.is_(True), Contact.commune.is_not(None)
    )
    return or_(~commune_run(), School.commune.is_(None), School.commune.not_in(with_office))


def message(session: Session, row: Notification, renderer: Renderer) -> Message:
    assert row.payload is not None  # a digest row is queued with the end of its period
    until = datetime.fromisoformat(row.payload["until"])
    since = until - timedelta(days=1)
    lang = row.language
    schools = {
        s.id: s
        for s in session.scalars(
            select(School).where(body_schools(session, row.payload.get("body", "province")))
        )
    }
    opened = list(
        session.scalars(
            select(Incident)
            .where(
                Incident.opened_at >= since.astimezone(timezone.utc),
                Incident.opened_at < until.astimezone(timezone.utc),
                Incident.school_id.in_(schools),
            )
            .order_by(Incident.opened_at)
        )
    )
    still_open = list(
        session.scalars(
            select(Incident).where(Incident.state != "resolved", Incident.school_id.in_(schools))
        )
    )
    names = {
        u.code: u.name for u in session.scalars(select(Unit).where(Unit.type.in_(COMMUNE_TYPES)))
    }
    by_commune: dict[str, list[dict[str, object]]] = {}
    for i in sorted(set(opened) | set(still_open), key=lambda i: (i.school_id, i.id)):
        school = schools.get(i.school_id)
        commune = school.commune if school else None
        place = names.get(commune, commune) if commune else UNASSIGNED.translate(lang)
        by_commune.setdefault(place, []).append(
            {
                "school": school.name if school else i.school_id,
                "summary": i.summary_text(lang),
                "state": STATES[i.state].translate(lang) if i.state in STATES else i.state,
                "since": renderer.local(i.opened_at, lang),
            }
        )
    return renderer.render(
        ["digest"],
        lang,
        {
            "day": format_date(since, lang, renderer.tz),
            "opened": opened,
            "still_open": still_open,
            "resolved_count": sum(1 for i in opened if i.state == "resolved"),
            "by_commune": sorted(by_commune.items()),
        },
        row.dedup_key,
        {
            "event": "digest",
            "since": since.isoformat(),
            "until": until.isoformat(),
            "opened": len(opened),
            "open": len(still_open),
        },
    )
