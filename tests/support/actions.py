"""A collector with e-mail and Telegram pages that carry actions (``notify.actions``): real
SMTP, the local Telegram server, the real pages, one registry; for the tests of the links'
page (web) and of Telegram's buttons (notify)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from schoolnet_collector.alerting.incidents import act
from schoolnet_collector.api.auth import get_clock
from schoolnet_collector.app import create_app
from schoolnet_collector.core.config import load_settings
from schoolnet_collector.notify.worker import NotifyWorker
from schoolnet_collector.registry.alerting_models import Incident, IncidentEvent
from schoolnet_collector.runtime import Runtime
from tests.support.collector import write_schools
from tests.support.notify import VN, Clock, add_contact, open_incident, school_week_calendar
from tests.support.smtp import SmtpServer
from tests.support.telegram_fake import FakeTelegram

SECRET = "k" * 40
TUESDAY_0900 = datetime(2026, 11, 17, 9, 0, tzinfo=VN)
NOW = TUESDAY_0900.astimezone(timezone.utc)
LINK_RE = re.compile(r"(http://schoolnet\.test/act/[A-Za-z0-9_.-]+)")


@pytest.fixture()
def site(tmp_path):
    """Pages due Tuesday 09:00; ``worker.tick()`` sends them, ``client`` is the pages."""
    with SmtpServer() as smtp, FakeTelegram() as tg:
        settings = load_settings(
            None,
            registry={
                "url": f"sqlite:///{tmp_path}/registry.sqlite3",
                "schools_file": str(write_schools(tmp_path)),
            },
            ingest={"data_dir": str(tmp_path / "data")},
            notify={
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
                "telegram": {"bot_token": tg.token, "api_base": tg.base, "poll_updates": False},
                "repeat_minutes": 10,
                "max_repeats": 1,
                "escalate_minutes": 30,
                "digest_at": "",
                "actions": {"base_url": "http://schoolnet.test", "secret": SECRET},
            },
        )
        rt = Runtime.open(settings)
        school_week_calendar(rt.sessions)
        clock = Clock(TUESDAY_0900)
        worker = NotifyWorker(rt.settings, rt.sessions, clock=clock, act=act)
        app = create_app(rt)
        app.dependency_overrides[get_clock] = lambda: lambda: clock().astimezone(timezone.utc)
        with TestClient(app) as client:
            yield {
                "rt": rt,
                "smtp": smtp,
                "tg": tg,
                "clock": clock,
                "worker": worker,
                "client": client,
            }
        rt.close()


def page_with_links(site) -> tuple[int, dict[str, str]]:
    add_contact(site["rt"].sessions, name="Cô Lan", school_id="lc-test-01", email="lan@t.test")
    add_contact(
        site["rt"].sessions,
        name="Phòng",
        role="province",
        email="so@t.test",
    )
    incident = open_incident(site["rt"].sessions, site["clock"]())
    site["worker"].tick()
    [mail] = site["smtp"].wait_for(1)
    body = mail.get_content()
    links = dict(zip(("acknowledge", "resolve"), LINK_RE.findall(body), strict=True))
    assert "Tôi đang xử lý: http://schoolnet.test/act/" in body, body
    return incident, {k: v.removeprefix("http://schoolnet.test") for k, v in links.items()}


def state(site, incident: int) -> tuple[str, list[tuple[str, str]]]:
    with site["rt"].sessions() as s:
        events = s.scalars(select(IncidentEvent).where(IncidentEvent.incident_id == incident))
        return s.get(Incident, incident).state, [(e.kind, e.actor) for e in events]
