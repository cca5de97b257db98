"""The page an e-mail's action link opens (``web/act.py``): a link acts once through its
confirm page, never on opening, and says why when it cannot; escalation stops (real SMTP)."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from schoolnet_collector.alerting.incidents import act
from schoolnet_collector.app import create_app
from schoolnet_collector.core.config import load_settings
from schoolnet_collector.notify import actions
from schoolnet_collector.notify.worker import NotifyWorker
from schoolnet_collector.runtime import Runtime
from tests.support.actions import NOW, SECRET, TUESDAY_0900, page_with_links, site, state
from tests.support.collector import write_schools
from tests.support.notify import add_contact, open_incident
from tests.support.smtp import SmtpServer
from tests.support.web import CSRF_INPUT

__all__ = ["site"]  # the fixture


def test_an_email_link_acknowledges_once_through_its_page_and_escalation_stops(site):
    client = site["client"]
    incident, links = page_with_links(site)
    # Opening the link (a preview, a mail scanner) changes nothing.
    for _ in range(2):
        page = client.get(links["acknowledge"])
        assert page.status_code == 200 and 'id="act-form"' in page.text
        assert "Trường mất kết nối" in page.text and "Trường THCS Thử Nghiệm 1" in page.text
    assert state(site, incident)[0] == "open"
    # A post from another site, or without this page's token, is refused.
    assert client.post(links["acknowledge"], data={}).status_code == 403
    evil = client.post(
        links["acknowledge"],
        data={"csrf": CSRF_INPUT.search(page.text).group(1)},
        headers={"Origin": "http://evil.example"},
    )
    assert evil.status_code == 403 and state(site, incident)[0] == "open"
    done = client.post(links["acknowledge"], data={"csrf": CSRF_INPUT.search(page.text).group(1)})
    assert done.status_code == 200 and 'id="act-done"' in done.text, done.text
    now_state, events = state(site, incident)
    assert now_state == "acknowledged" and ("acknowledged", "Cô Lan (email)") in events
    again = client.post(links["acknowledge"], data={"csrf": CSRF_INPUT.search(page.text).group(1)})
    assert again.status_code == 410 and 'data-reason="used"' in again.text
    assert client.get(links["acknowledge"]).status_code == 410
    # Reminders and escalation stop: nothing more reaches the teacher or the Sở.
    for minute in range(5, 65, 5):
        site["worker"].tick(site["clock"].at(TUESDAY_0900 + timedelta(minutes=minute)))
    assert len(site["smtp"].wait_for(2, timeout=0.5)) == 1
    # The second link of the same e-mail still works, once.
    page = client.get(links["resolve"])
    fixed = client.post(links["resolve"], data={"csrf": CSRF_INPUT.search(page.text).group(1)})
    assert fixed.status_code == 200 and state(site, incident)[0] == "resolved"


def test_expired_changed_and_late_links_say_why_and_act_not(site):
    client = site["client"]
    incident, links = page_with_links(site)
    token = links["acknowledge"].removeprefix("/act/")
    changed = client.get("/act/" + token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert changed.status_code == 404 and 'data-reason="invalid"' in changed.text
    assert client.get("/act/%0A").status_code == 404
    # Someone acknowledged it by the API meanwhile: the link has nothing left to do.
    with site["rt"].sessions() as s:
        act(s, incident, "acknowledge", actor="so-cntt", note=None, now=NOW)
    page = client.get(links["acknowledge"])
    late = client.post(links["acknowledge"], data={"csrf": CSRF_INPUT.search(page.text).group(1)})
    assert late.status_code == 409 and 'data-reason="state"' in late.text
    site["clock"].at(TUESDAY_0900 + timedelta(hours=73))  # past link_hours (72)
    expired = client.get(links["resolve"])
    assert expired.status_code == 410 and 'data-reason="expired"' in expired.text
    assert state(site, incident)[0] == "acknowledged"


def test_without_a_key_the_email_has_no_links_and_act_pages_refuse(tmp_path):
    with SmtpServer() as smtp:
        settings = load_settings(
            None,
            registry={
                "url": f"sqlite:///{tmp_path}/r.sqlite3",
                "schools_file": str(write_schools(tmp_path)),
            },
            ingest={"data_dir": str(tmp_path / "data")},
            notify={
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
                "digest_at": "",
                "respect_school_time": False,
            },
        )
        rt = Runtime.open(settings)
        try:
            add_contact(rt.sessions, school_id="lc-test-01", email="lan@t.test")
            open_incident(rt.sessions, NOW)
            NotifyWorker(rt.settings, rt.sessions, clock=lambda: NOW, act=act).tick()
            [mail] = smtp.wait_for(1)
            assert "/act/" not in mail.get_content()
            token = actions.sign(SECRET, 1, 1, "acknowledge", NOW + timedelta(days=1))
            with TestClient(create_app(rt)) as client:
                assert client.get(f"/act/{token}").status_code == 404
        finally:
            rt.close()
