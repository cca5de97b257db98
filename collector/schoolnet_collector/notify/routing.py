"""Who hears about an incident, on which channel, and when (the outbox rows of a transition).

- ``opened``: the school's IT teacher(s) (``school_it`` contacts of the school); a school
  without one goes straight to its managing body (``body_contacts``). Outside school time (evenings, weekends,
  holidays: the school calendar) the page waits for the next school morning, unless its
  severity is in ``notify.page_anytime_severities``.
- ``resolved``: whoever was actually told about the opening; a page still held for the
  morning is cancelled instead, so nobody is woken (or bothered at 7:00) by a problem that
  solved itself overnight.
- ``acknowledged``: no page; pending reminders and escalations are cancelled.
- repeats and escalations are scheduled by the delivery worker (``worker.py``) with the same
  row helpers, so every message has one dedup key shape:
  ``incident:<id>:<transition>:<repeat>:<contact>:<channel>``.

The configuration is process-wide (``configure``): the alert engine calls
``enqueue_for_transition(session, incident, transition, now)`` without knowing the settings.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from schoolnet_collector.channels import REGISTRY
from schoolnet_collector.channels.mqtt import UNIT as MQTT
from schoolnet_collector.core.config import NotifyConfig
from schoolnet_collector.notify import outbox
from schoolnet_collector.notify.outbox import Notification
from schoolnet_collector.registry.alerting_models import Contact, Incident
from schoolnet_collector.registry.db import rowcount
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.units import managing_body

log = logging.getLogger("schoolnet.notify")

_config = NotifyConfig()
PAGE_TRANSITIONS = ("opened", "repeat", "escalated")


def configure(cfg: NotifyConfig) -> None:
    global _config  # noqa: PLW0603 - one process-wide routing configuration, set at start
    _config = cfg


def config() -> NotifyConfig:
    return _config


def dedup_key(
    incident_id: int, transition: str, repeat_no: int, contact_id: int | None, channel: str
) -> str:
    return f"incident:{incident_id}:{transition}:{repeat_no}:{contact_id if contact_id is not None else '-'}:{channel}"


def contact_channels(contact: Contact, cfg: NotifyConfig) -> list[tuple[str, str]]:
    """(channel, address) pairs a contact can be reached on with the configured channels, in
    the channel registry's order."""
    return [
        (unit.name, address)
        for unit in REGISTRY.contact_units()
        if cfg.ready(unit.name)
        for address in contact.address_list(unit.name)
    ]


def school_contacts(session: Session, school_id: str) -> list[Contact]:
    return list(
        session.scalars(
            select(Contact)
            .where(
                Contact.school_id == school_id,
                Contact.role == "school_it",
                Contact.active.is_(True),
            )
            .order_by(Contact.id)
        )
    )


def body_contacts(session: Session, school_id: str) -> list[Contact]:
    """The staff of the body that runs the school, who hear when its IT teacher does not act:
    the commune office (``commune`` contacts of the school's commune) for a school the commune
    runs, the Sở (``province`` contacts) for the others. A commune-run school whose commune has
    no contact yet, or a school with no commune or managing body, goes to the Sở: someone must
    hear, and the Sở is who keeps the registry and can name the missing office."""
    school = session.get(School, school_id)
    if school is None:
        return []
    if school.commune and managing_body(school) == "commune":
        office = _active(session, Contact.role == "commune", Contact.commune == school.commune)
        if office:
            return office
        log.warning(
            "school %s: commune %s has no contact; its escalations go to the Sở",
            school_id,
            school.commune,
        )
    return _active(session, Contact.role == "province")


def _active(session: Session, *where: ColumnElement[bool]) -> list[Contact]:
    query = select(Contact).where(*where, Contact.active.is_(True)).order_by(Contact.id)
    return list(session.scalars(query))


def page_time(session: Session, incident: Incident, now: datetime, cfg: NotifyConfig) -> datetime:
    """When a page about this incident may go out: now (+ the configured delay), or the next
    school morning when the school is closed."""
    when = now + timedelta(seconds=cfg.delay_seconds)
    if not cfg.respect_school_time or incident.severity in cfg.page_anytime_severities:
        return when
    from schoolnet_collector.notify import school_time

    return school_time.page_at(session, incident.school_id, when)


def add_pages(
    session: Session,
    incident: Incident,
    contacts: list[Contact],
    transition: str,
    repeat_no: int,
    not_before: datetime,
    now: datetime,
    cfg: NotifyConfig,
) -> int:
    """One outbox row per (contact, channel); returns how many were new."""
    added = 0
    for contact in contacts:
        for channel, address in contact_channels(contact, cfg):
            added += outbox.add(
                session,
                dedup_key=dedup_key(incident.id, transition, repeat_no, contact.id, channel),
                now=now,
                kind="incident",
                incident_id=incident.id,
                transition=transition,
                repeat_no=repeat_no,
                school_id=incident.school_id,
                contact_id=contact.id,
                channel=channel,
                address=address,
                language=contact.language or cfg.language,
                not_before=not_before,
            )
    return added


def add_topic_event(
    session: Session, incident: Incident, transition: str, now: datetime, cfg: NotifyConfig
) -> None:
    """The MQTT alert topic hears every transition at once: it is read by machines, not people."""
    topic = cfg.settings_of(MQTT)
    if not topic.enabled:
        return
    outbox.add(
        session,
        dedup_key=dedup_key(incident.id, transition, 0, None, "mqtt"),
        now=now,
        kind="incident",
        incident_id=incident.id,
        transition=transition,
        repeat_no=0,
        school_id=incident.school_id,
        contact_id=None,
        channel="mqtt",
        address=f"{topic.prefix}/{incident.school_id}",
        language=cfg.language,
        not_before=now,
    )


def cancel(session: Session, incident_id: int, transitions: tuple[str, ...], reason: str) -> int:
    result = session.execute(
        update(Notification)
        .where(
            Notification.incident_id == incident_id,
            Notification.state == "pending",
            Notification.contact_id.is_not(None),
            Notification.transition.in_(transitions),
        )
        .values(state="cancelled", last_error=reason)
    )
    return rowcount(result) or 0


def route(session: Session, incident: Incident, transition: str, now: datetime) -> None:
    cfg = _config
    if not cfg.enabled:
        return
    now = now.astimezone(timezone.utc)  # SQLite keeps no zone: store UTC only
    session.flush()  # the incident needs its id before rows can name it
    if transition in ("opened", "reopened"):
        contacts = school_contacts(session, incident.school_id) or body_contacts(
            session, incident.school_id
        )
        add_pages(
            session,
            incident,
            contacts,
            "opened",
            0,
            page_time(session, incident, now, cfg),
            now,
            cfg,
        )
        add_topic_event(session, incident, "opened", now, cfg)
    elif transition == "resolved":
        cancel(session, incident.id, PAGE_TRANSITIONS, "resolved before it was sent")
        told = session.execute(
            select(Notification.contact_id, Notification.channel)
            .where(
                Notification.incident_id == incident.id,
                Notification.contact_id.is_not(None),
                Notification.transition.in_(PAGE_TRANSITIONS),
                Notification.state.in_(("sent", "sending")),
            )
            .distinct()
        ).all()
        told_contacts = {
            c.id: c
            for c in session.scalars(
                select(Contact).where(Contact.id.in_({cid for cid, _ in told}))
            )
        }
        for contact_id, channel in told:
            contact = told_contacts.get(contact_id) if contact_id is not None else None
            if contact is None or not contact.active:
                continue
            address = dict(contact_channels(contact, cfg)).get(channel)
            if address:
                outbox.add(
                    session,
                    dedup_key=dedup_key(incident.id, "resolved", 0, contact_id, channel),
                    now=now,
                    kind="incident",
                    incident_id=incident.id,
                    transition="resolved",
                    school_id=incident.school_id,
                    contact_id=contact_id,
                    channel=channel,
                    address=address,
                    language=contact.language or cfg.language,
                    not_before=now,
                )
        add_topic_event(session, incident, "resolved", now, cfg)
    elif transition == "acknowledged":
        cancel(session, incident.id, ("repeat", "escalated"), "acknowledged")
        add_topic_event(session, incident, "acknowledged", now, cfg)
    else:
        log.debug("incident %s: transition %r sends nothing", incident.id, transition)
