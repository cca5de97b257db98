"""Routing and delivery with a real registry (SQLite), real SMTP, Bot API and webhook servers,
and an injected clock: who is paged, when (school calendar), reminders, escalation,
acknowledgement, retries of a dead channel, and no duplicate after a restart."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from schoolnet_collector.core.config import load_settings
from schoolnet_collector.notify import outbox
from schoolnet_collector.notify.worker import NotifyWorker
from schoolnet_collector.registry.alerting_models import Contact, IncidentEvent
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import School
from tests.support.notify import (
    VN,
    Clock,
    add_contact,
    change_incident,
    open_incident,
    outbox_rows,
    registry,
    school_week_calendar,
)
from tests.support.smtp import SmtpServer
from tests.support.telegram_fake import FakeTelegram
from tests.support.units import assign_communes
from tests.support.webhook_receiver import WebhookReceiver

TUESDAY_0900 = datetime(2026, 11, 17, 9, 0, tzinfo=VN)


pytestmark = pytest.mark.services


@pytest.fixture()
def servers():
    with SmtpServer() as smtp, FakeTelegram() as tg, WebhookReceiver("hook-key") as hook:
        yield smtp, tg, hook


@pytest.fixture()
def setup(tmp_path, servers):
    smtp, tg, _hook = servers
    engine, sessions = registry(f"sqlite:///{tmp_path}/registry.sqlite3", tmp_path)
    school_week_calendar(sessions, holiday=date(2026, 11, 20))  # a Friday off
    assign_communes(sessions)  # lc-test-01 in 08044, lc-test-02 in 08050, both commune-run

    def make_worker(clock, influx=None, **notify):
        settings = load_settings(
            None,
            registry={"url": str(engine.url)},
            **({"influx": influx} if influx else {}),
            notify={
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
                "telegram": {"bot_token": tg.token, "api_base": tg.base, "poll_updates": False},
                "webhook": {"secret": "hook-key", "allow_networks": ["127.0.0.0/8"]},
                "repeat_minutes": 10,
                "max_repeats": 2,
                "escalate_minutes": 30,
                "digest_at": None,
                **notify,
            },
        )
        return NotifyWorker(settings, sessions, clock=clock)

    yield sessions, make_worker
    engine.dispose()


def test_a_school_outage_pages_its_teacher_once_on_every_channel(setup, servers):
    smtp, tg, hook = servers
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    worker = make_worker(clock)
    add_contact(
        sessions,
        school_id="lc-test-01",
        email="lan@thcs1.test",
        telegram_chat_id="501",
        webhook_url=hook.url,
    )
    add_contact(sessions, name="Other school", school_id="lc-test-02", email="other@th2.test")
    incident = open_incident(sessions, clock())
    # A second collector proposing the same transition adds nothing.
    with sessions.begin() as session:
        from schoolnet_collector.notify import enqueue_for_transition
        from schoolnet_collector.registry.alerting_models import Incident

        enqueue_for_transition(session, session.get(Incident, incident), "opened", clock())
    assert len(outbox_rows(sessions)) == 3
    assert worker.tick() == 3
    assert worker.tick(clock.advance(seconds=5)) == 0
    [mail] = smtp.wait_for(1)
    assert mail["To"] == "lan@thcs1.test"
    assert mail["Subject"] == "[Trường THCS Thử Nghiệm 1] Trường mất kết nối từ 09:00"
    assert "Kiểm tra trước: nguồn điện và modem/router của trường" in mail.get_content()
    assert tg.sent[0]["chat_id"] == "501" and "Trường THCS Thử Nghiệm 1" in tg.sent[0]["text"]
    assert hook.accepted[0]["body"]["transition"] == "opened"
    assert {r.state for r in outbox_rows(sessions)} == {"sent"}

    change_incident(sessions, incident, "resolved", clock.advance(minutes=4))
    assert worker.tick() == 3
    assert len(smtp.wait_for(2)) == 2
    assert smtp.messages[1]["Subject"] == "[Trường THCS Thử Nghiệm 1] Trường đã kết nối lại"
    assert "mất kết nối 4 phút" in smtp.messages[1].get_content()


def test_english_contact_gets_english(setup, servers):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    add_contact(sessions, school_id="lc-test-01", email="it@thcs1.test", language="en")
    open_incident(sessions, clock())
    make_worker(clock).tick()
    [mail] = smtp.wait_for(1)
    assert mail["Subject"] == "[Trường THCS Thử Nghiệm 1] School offline since 09:00"
    assert "Check first: the school's power and its modem/router" in mail.get_content()


@pytest.mark.parametrize(
    "opened,expected",
    [
        (
            datetime(2026, 11, 17, 21, 30, tzinfo=VN),
            datetime(2026, 11, 18, 7, 0, tzinfo=VN),
        ),  # evening
        (
            datetime(2026, 11, 20, 10, 0, tzinfo=VN),
            datetime(2026, 11, 23, 7, 0, tzinfo=VN),
        ),  # holiday Fri
        (
            datetime(2026, 11, 21, 10, 0, tzinfo=VN),
            datetime(2026, 11, 23, 7, 0, tzinfo=VN),
        ),  # Saturday
    ],
)
def test_outside_school_time_the_page_waits_for_the_morning(setup, servers, opened, expected):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(opened)
    worker = make_worker(clock)
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    open_incident(sessions, clock())
    [row] = outbox_rows(sessions)
    assert utc(row.not_before) == expected
    assert worker.tick() == 0
    assert worker.tick(clock.at(expected - timedelta(seconds=1))) == 0
    assert not smtp.messages
    assert worker.tick(clock.at(expected)) == 1
    assert len(smtp.wait_for(1)) == 1


def test_critical_can_page_at_night_when_configured(setup, servers):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(datetime(2026, 11, 17, 23, 0, tzinfo=VN))
    worker = make_worker(clock, page_anytime_severities=["critical"])
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    open_incident(sessions, clock())
    assert worker.tick() == 1
    assert len(smtp.wait_for(1)) == 1


def test_a_school_back_before_morning_sends_nothing_at_all(setup, servers):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(datetime(2026, 11, 17, 22, 0, tzinfo=VN))
    worker = make_worker(clock)
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    incident = open_incident(sessions, clock())
    change_incident(sessions, incident, "resolved", clock.advance(hours=2))
    worker.tick(clock.at(datetime(2026, 11, 18, 7, 30, tzinfo=VN)))
    assert smtp.wait_for(1, timeout=0.5) == []
    assert [r.state for r in outbox_rows(sessions)] == ["cancelled"]


def test_reminders_then_escalation_to_the_commune_office_without_acknowledgement(setup, servers):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    worker = make_worker(clock)
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    add_contact(
        sessions,
        name="Phòng VH-XH xã Bát Xát",
        role="commune",
        commune="08044",
        email="phong@batxat.test",
    )
    add_contact(
        sessions, name="Phòng VH-XH Sa Pa", role="commune", commune="08050", email="p@sapa.test"
    )
    add_contact(sessions, name="Sở GDĐT", role="province", email="so@laocai.test")
    # A district contact kept from before the reform is never paged.
    add_contact(
        sessions, name="Phòng GDĐT cũ", role="district", district="bat-xat", email="pgd@old.test"
    )
    incident = open_incident(sessions, clock())
    worker.tick()
    for minute in range(1, 41):
        worker.tick(clock.at(TUESDAY_0900 + timedelta(minutes=minute)))
    mails = smtp.wait_for(4)
    assert [(m["To"], m["Subject"].split(":")[0]) for m in mails] == [
        ("lan@thcs1.test", "[Trường THCS Thử Nghiệm 1] Trường mất kết nối từ 09"),
        ("lan@thcs1.test", "Nhắc lại"),
        ("lan@thcs1.test", "Nhắc lại"),
        ("phong@batxat.test", "Chưa xử lý"),
    ]
    sent_at = {
        r.dedup_key.split(":")[2] + r.dedup_key.split(":")[3]: utc(r.sent_at)
        for r in outbox_rows(sessions)
    }
    assert sent_at["repeat1"] == TUESDAY_0900 + timedelta(minutes=10)
    assert sent_at["escalated0"] == TUESDAY_0900 + timedelta(minutes=30)
    with sessions() as session:
        [event] = session.scalars(
            select(IncidentEvent).where(IncidentEvent.incident_id == incident)
        )
    assert event.kind == "escalated"
    # The commune office heard about it, so it hears the resolution too.
    change_incident(sessions, incident, "resolved", clock.advance(minutes=5))
    worker.tick()
    assert {m["To"] for m in smtp.wait_for(6)[4:]} == {"lan@thcs1.test", "phong@batxat.test"}


@pytest.mark.parametrize(
    "level, office, expected",
    [
        ("thpt", True, "so@laocai.test"),  # the Sở runs a THPT, whatever commune it stands in
        ("gdtx", True, "so@laocai.test"),
        ("tieu_hoc", True, "phong@batxat.test"),
        ("tieu_hoc", False, "so@laocai.test"),  # no office yet: the Sở hears, nobody is skipped
    ],
)
def test_escalation_goes_to_the_body_that_runs_the_school(setup, servers, level, office, expected):
    smtp, _, _ = servers
    sessions, make_worker = setup
    with sessions.begin() as session:
        session.add(
            School(
                id="lc-test-03",
                name="Trường Thử Nghiệm 3",
                province="lao-cai",
                legacy_district="bat-xat",
                level=level,
                commune="08044",
                updated_at=TUESDAY_0900,
            )
        )
    clock = Clock(TUESDAY_0900)
    worker = make_worker(clock, max_repeats=0)
    add_contact(sessions, school_id="lc-test-03", email="gv@school3.test")
    if office:
        add_contact(
            sessions, name="VH-XH", role="commune", commune="08044", email="phong@batxat.test"
        )
    add_contact(sessions, name="Sở GDĐT", role="province", email="so@laocai.test")
    open_incident(sessions, clock(), school="lc-test-03")
    for minute in range(0, 41, 5):
        worker.tick(clock.at(TUESDAY_0900 + timedelta(minutes=minute)))
    assert [m["To"] for m in smtp.wait_for(2)] == ["gv@school3.test", expected]
    assert smtp.wait_for(3, timeout=0.5)[2:] == []  # the other body hears nothing


def test_escalation_switched_off_keeps_the_commune_office_out(setup, servers):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    worker = make_worker(clock, escalate_minutes=0, max_repeats=0)
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    add_contact(sessions, name="Phòng", role="commune", commune="08044", email="phong@batxat.test")
    open_incident(sessions, clock())
    for _ in range(8):
        worker.tick(clock.advance(minutes=15))
    assert [m["To"] for m in smtp.wait_for(2, timeout=0.5)] == ["lan@thcs1.test"]


def test_acknowledgement_stops_reminders_and_escalation(setup, servers):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    worker = make_worker(clock)
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    add_contact(sessions, name="Phòng", role="commune", commune="08044", email="phong@batxat.test")
    incident = open_incident(sessions, clock())
    worker.tick()
    worker.tick(clock.advance(minutes=10))  # the first reminder
    change_incident(sessions, incident, "acknowledged", clock.advance(minutes=1))
    for _ in range(12):
        worker.tick(clock.advance(minutes=10))
    assert len(smtp.wait_for(3, timeout=0.5)) == 2
    assert {r.transition for r in outbox_rows(sessions)} == {"opened", "repeat"}


def test_a_dead_telegram_does_not_block_email_and_is_retried_with_backoff(setup, servers):
    smtp, tg, _ = servers
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    worker = make_worker(clock, retry_seconds=30)
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test", telegram_chat_id="501")
    tg.fail_with = 500
    open_incident(sessions, clock())
    worker.tick()
    assert len(smtp.wait_for(1)) == 1
    rows = {r.channel: r for r in outbox_rows(sessions)}
    assert rows["email"].state == "sent"
    tg_row = rows["telegram"]
    assert (tg_row.state, tg_row.attempts, "500" in tg_row.last_error) == ("pending", 1, True)
    assert utc(tg_row.not_before) == TUESDAY_0900 + timedelta(seconds=30)
    worker.tick(clock.advance(seconds=30))  # second failure: the wait doubles
    tg_row = {r.channel: r for r in outbox_rows(sessions)}["telegram"]
    assert utc(tg_row.not_before) == clock() + timedelta(seconds=60)
    tg.fail_with = None
    worker.tick(clock.advance(seconds=60))
    assert len(tg.wait_sent(1)) == 1
    assert {r.state for r in outbox_rows(sessions)} == {"sent"}


def test_flood_control_wait_is_obeyed_and_attempts_are_capped(setup, servers):
    _smtp, tg, _ = servers
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    worker = make_worker(clock, max_attempts=2)
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test", telegram_chat_id="501")
    tg.fail_with = 429
    open_incident(sessions, clock())
    worker.tick()
    row = {r.channel: r for r in outbox_rows(sessions)}["telegram"]
    assert utc(row.not_before) == TUESDAY_0900 + timedelta(seconds=7)  # Telegram's retry_after
    tg.fail_with = 500
    worker.tick(clock.advance(seconds=7))
    rows = {r.channel: r for r in outbox_rows(sessions)}
    assert (rows["telegram"].state, rows["telegram"].attempts) == ("failed", 2)
    assert "500" in rows["telegram"].last_error and rows["email"].state == "sent"
    worker.tick(clock.advance(minutes=5))
    rows = {(r.channel, r.transition): r for r in outbox_rows(sessions)}
    assert rows[("telegram", "opened")].attempts == 2  # a failed row is not tried again


def test_refused_address_fails_for_good_without_touching_the_rest(setup, tmp_path):
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    with SmtpServer(refuse=("@gone.test",)) as smtp:
        worker = make_worker(
            clock, smtp={"host": "127.0.0.1", "port": smtp.port, "security": "none"}
        )
        add_contact(sessions, school_id="lc-test-01", email="old@gone.test")
        add_contact(sessions, name="Thầy Minh", school_id="lc-test-01", email="minh@thcs1.test")
        open_incident(sessions, clock())
        worker.tick()
        assert [m["To"] for m in smtp.wait_for(1)] == ["minh@thcs1.test"]
    states = {r.address: (r.state, r.attempts) for r in outbox_rows(sessions)}
    assert states == {"old@gone.test": ("failed", 1), "minh@thcs1.test": ("sent", 1)}


def test_a_restarted_collector_sends_nothing_twice(setup, servers):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    add_contact(sessions, name="Thầy Minh", school_id="lc-test-01", email="minh@thcs1.test")
    open_incident(sessions, clock())
    first = make_worker(clock)
    first.deliver("email", limit=1)  # one sent, then the collector stops
    crashed = outbox.claim(sessions, "crashed-worker", clock())  # claimed, never finished
    assert len(crashed) == 1
    restarted = make_worker(clock)
    assert restarted.tick(clock.advance(seconds=30)) == 0  # the lease still holds
    assert restarted.tick(clock.advance(minutes=2)) == 1  # the lease expired: sent once
    assert restarted.tick(clock.advance(minutes=1)) == 0
    assert sorted(m["To"] for m in smtp.wait_for(2)) == ["lan@thcs1.test", "minh@thcs1.test"]
    assert len(smtp.wait_for(3, timeout=0.5)) == 2
    # The crashed worker coming back late cannot overwrite what the other one recorded.
    assert not outbox.finish(
        sessions, crashed[0], "crashed-worker", state="pending", now=clock(), retry_at=clock()
    )


def test_the_daily_digest_reaches_each_body_once_about_its_own_schools(setup, servers):
    smtp, _, _ = servers
    sessions, make_worker = setup
    clock = Clock(datetime(2026, 11, 17, 15, 0, tzinfo=VN))
    worker = make_worker(clock, digest_at="07:00")
    add_contact(sessions, name="Sở GDĐT", role="province", email="so@laocai.test")
    add_contact(sessions, name="VH-XH", role="commune", commune="08050", email="vhxh@sapa.test")
    add_contact(sessions, school_id="lc-test-02", email="gv@th2.test")
    incident = open_incident(sessions, clock(), school="lc-test-02")
    worker.tick()  # the teacher's page; the 17th's digest time has passed: its digest goes too
    change_incident(sessions, incident, "resolved", clock.advance(hours=1))
    open_incident(sessions, clock.advance(hours=1))  # lc-test-01, no contact: still open
    worker.tick(clock.at(datetime(2026, 11, 18, 6, 59, tzinfo=VN)))
    worker.tick(clock.at(datetime(2026, 11, 18, 7, 0, tzinfo=VN)))
    worker.tick(clock.advance(minutes=30))
    mails = smtp.wait_for(8, timeout=2)
    # lc-test-01 has no IT teacher and its commune no office: its page goes to the Sở.
    assert [m["To"] for m in mails if m["Subject"].startswith("[") and "mất" in m["Subject"]] == [
        "gv@th2.test",
        "so@laocai.test",
    ]
    digests = [m for m in mails if m["To"] == "so@laocai.test" and "Tổng hợp" in m["Subject"]]
    assert len(digests) == 2
    # The Sở hears of lc-test-01 (its commune has no office yet), not of the Sa Pa school,
    # which its own commune office hears of.
    latest = digests[-1]
    assert latest["Subject"] == "Tổng hợp sự cố ngày 17/11/2026: 1 mới, 1 chưa xử lý"
    body = latest.get_content()
    assert "Xã Bát Xát:" in body and "Sa Pa" not in body
    office = [m for m in mails if m["To"] == "vhxh@sapa.test" and "Tổng hợp" in m["Subject"]]
    assert len(office) == 2
    body = office[-1].get_content()
    assert office[-1]["Subject"] == "Tổng hợp sự cố ngày 17/11/2026: 1 mới, 0 chưa xử lý"
    assert "Phường Sa Pa:" in body and "Bát Xát" not in body and "1 đã khắc phục" in body


@pytest.mark.parametrize("concurrency,fast_waits", [(4, False), (1, True)])
def test_a_slow_webhook_receiver_delays_no_other(setup, concurrency, fast_waits):
    """Two schools' receivers, the first slow: with the default concurrency the second gets
    its page at once; posting one at a time (concurrency 1) it would wait for the first."""
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    with WebhookReceiver("hook-key", delay=2.0) as slow, WebhookReceiver("hook-key") as fast:
        add_contact(sessions, school_id="lc-test-01", webhook_url=slow.url)
        add_contact(sessions, name="Thầy Minh", school_id="lc-test-01", webhook_url=fast.url)
        open_incident(sessions, clock())
        hook = {"secret": "hook-key", "allow_networks": ["127.0.0.0/8"]}
        worker = make_worker(clock, webhook={**hook, "concurrency": concurrency})
        start = time.monotonic()
        assert worker.tick() == 2
    [fast_at] = fast.times
    assert (fast_at - start >= 1.9) is fast_waits, fast_at - start
    assert {r.state for r in outbox_rows(sessions)} == {"sent"}


def test_a_webhook_at_the_collectors_own_influxdb_is_refused(setup):
    """Even with loopback allowed for receivers, the URL of a service the collector itself
    uses is refused before any request (here a stand-in listening where InfluxDB is)."""
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    with WebhookReceiver("hook-key") as influx:
        worker = make_worker(
            clock,
            influx={"url": f"http://127.0.0.1:{influx.server.server_port}"},
            webhook={"secret": "hook-key", "allow_networks": ["127.0.0.0/8"]},
        )
        add_contact(sessions, school_id="lc-test-01", webhook_url=influx.url)
        open_incident(sessions, clock())
        worker.tick()
    [row] = outbox_rows(sessions)
    assert row.state == "failed" and "one of schoolnet's own services" in row.last_error
    assert influx.times == []


def test_a_copied_webhook_url_is_signed_with_the_copiers_key(setup):
    """School 1's receiver checks school 1's stored key. A contact of school 2 who put the same
    URL in gets messages signed with their own (here the global) key: refused by the receiver,
    so nothing is believed to come from school 1's incident stream."""
    sessions, make_worker = setup
    clock = Clock(TUESDAY_0900)
    with WebhookReceiver("key-of-school-1") as rx:
        owner = add_contact(sessions, school_id="lc-test-01", webhook_url=rx.url)
        add_contact(sessions, name="Copier", school_id="lc-test-02", webhook_url=rx.url)
        with sessions.begin() as session:
            session.get(Contact, owner).addresses[0].secret = "key-of-school-1"
        open_incident(sessions, clock())
        open_incident(sessions, clock(), school="lc-test-02")
        worker = make_worker(
            clock, webhook={"secret": "hook-key", "allow_networks": ["127.0.0.0/8"]}
        )
        worker.tick()
    assert [a["body"]["school"] for a in rx.accepted] == ["lc-test-01"]
    states = {r.contact_id: r.state for r in outbox_rows(sessions)}
    assert states[owner] == "sent" and list(states.values()).count("failed") == 1
