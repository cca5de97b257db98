"""Helpers for the notification tests: a migrated registry with the two test schools, contacts,
incidents opened and changed the way the alert engine does it (inside one transaction that
also calls ``enqueue_for_transition``), an injectable clock, and a rendered message for the channels."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from schoolnet_collector.channels import REGISTRY, Message
from schoolnet_collector.notify import enqueue_for_transition
from schoolnet_collector.notify.outbox import Notification
from schoolnet_collector.registry.alerting_models import Contact, Incident
from schoolnet_collector.registry.calendar_file import CalendarIn, store_calendar
from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.schools import import_schools
from tests.support.collector import write_schools

VN = timezone(timedelta(hours=7))
MSG = Message(
    subject="[Trường THCS Thử Nghiệm 1] Trường mất kết nối từ 07:45",
    body="Kiểm tra nguồn điện và modem/router của trường.\n",
    event={"event": "incident", "school": "lc-test-01"},
    dedup_key="incident:1:opened:0:1:email",
)
"""A rendered page, as every channel is handed one."""


class Clock:
    """The worker's clock, moved by the test (no sleeping)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, when: datetime) -> datetime:
        self.now = when
        return when

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def registry(url: str, tmp_path: Path):
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        import_schools(session, write_schools(tmp_path))
    return engine, sessions


def add_contact(sessions, **fields) -> int:
    """A contact; its addresses given by their channel's contact field (``email="…"``,
    ``telegram_chat_id="…"``, ``webhook_url="…"``), as in the contacts file."""
    addresses = {}
    for unit in REGISTRY.contact_units():
        if unit.contact_field in fields:
            addresses[unit.name] = fields.pop(unit.contact_field)
    with sessions.begin() as session:
        contact = Contact(
            **{"name": "Cô Lan", "role": "school_it", "language": "vi", "active": True, **fields}
        )
        for channel, address in addresses.items():
            if address is not None:
                contact.set_addresses(channel, [str(address)])
        session.add(contact)
        session.flush()
        return contact.id


def school_week_calendar(sessions, holiday: date | None = None) -> None:
    """Mon–Fri 07:00–17:00 all year round, plus one holiday."""
    cal = CalendarIn(
        school_hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "07:00-17:00"),
        terms=[{"name": "Năm học", "starts": "2026-09-05", "ends": "2027-05-29"}],
        holidays=[{"name": "Ngày nghỉ", "starts": holiday, "ends": holiday}] if holiday else [],
    )
    with sessions.begin() as session:
        store_calendar(session, cal, None)


def open_incident(
    sessions,
    now: datetime,
    school: str = "lc-test-01",
    rule: str = "school_offline",
    severity: str = "critical",
    summary: str = "Trường mất kết nối",
) -> int:
    with sessions.begin() as session:
        incident = Incident(
            key=f"{rule}:{school}",
            rule=rule,
            school_id=school,
            device_id=None,
            severity=severity,
            state="open",
            summary=summary,
            details={},
            opened_at=now.astimezone(timezone.utc),
        )
        session.add(incident)
        session.flush()
        enqueue_for_transition(session, incident, "opened", now)
        return incident.id


def change_incident(sessions, incident_id: int, transition: str, now: datetime) -> None:
    with sessions.begin() as session:
        incident = session.get(Incident, incident_id)
        if transition == "acknowledged":
            incident.state, incident.acknowledged_by = "acknowledged", "lan"
            incident.acknowledged_at = now.astimezone(timezone.utc)
        elif transition == "resolved":
            incident.state, incident.resolved_at = "resolved", now.astimezone(timezone.utc)
        enqueue_for_transition(session, incident, transition, now)


def outbox_rows(sessions) -> list[Notification]:
    with sessions() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))
