"""``/status`` in Telegram: a registered chat asks through getUpdates (a local server speaking
the Bot API) and gets its school's state now, in its language; others are told politely."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from schoolnet_collector.core.config import load_settings
from schoolnet_collector.notify.worker import NotifyWorker
from schoolnet_collector.registry.alerting_models import DeviceReading
from schoolnet_collector.registry.models import Device
from tests.support.notify import Clock, add_contact, open_incident, registry
from tests.support.telegram_fake import FakeTelegram
from tests.support.units import assign_communes

NOW = datetime(2026, 11, 17, 2, 30, tzinfo=timezone.utc)  # 09:30 in Lào Cai


@pytest.fixture()
def bot(tmp_path):
    engine, sessions = registry(f"sqlite:///{tmp_path}/r.sqlite3", tmp_path)
    with sessions.begin() as s:
        for device, kind, seen, available in [
            ("gw", "gateway", NOW, True),
            ("pc-01", "lab_pc", NOW - timedelta(seconds=30), True),
            ("pc-02", "lab_pc", NOW - timedelta(hours=3), None),
        ]:
            s.add(
                Device(
                    school_id="lc-test-01",
                    device_id=device,
                    kind=kind,
                    first_seen=NOW,
                    last_seen=seen,
                    interval_seconds=60,
                    available=available,
                )
            )
        s.add(
            DeviceReading(school_id="lc-test-01", device_id="gw", name="uplink.up", value=1, at=NOW)
        )
        s.add(
            DeviceReading(
                school_id="lc-test-01",
                device_id="gw",
                name="uplink.type",
                text_value="fibre",
                at=NOW,
            )
        )
    open_incident(
        sessions,
        NOW - timedelta(minutes=20),
        rule="device_offline",
        severity="warning",
        summary="Thiết bị pc-02 mất kết nối",
    )
    with FakeTelegram() as tg:
        settings = load_settings(
            None,
            notify={
                "telegram": {"bot_token": tg.token, "api_base": tg.base, "poll_timeout": 1},
                "digest_at": None,
            },
        )
        worker = NotifyWorker(settings, sessions, clock=Clock(NOW))
        yield sessions, tg, worker
        worker.stop()
    engine.dispose()


def ask(tg, worker, chat: int, text: str) -> str | None:
    before = len(tg.sent)
    tg.push_message(chat, text)
    worker.status.poll_once(timeout=1)
    return tg.sent[before]["text"] if len(tg.sent) > before else None


def test_the_teacher_gets_the_school_state_in_vietnamese(bot):
    sessions, tg, worker = bot
    add_contact(sessions, school_id="lc-test-01", telegram_chat_id="7001")
    reply = ask(tg, worker, 7001, "/status")
    assert reply.startswith("Tình trạng Trường THCS Thử Nghiệm 1")
    assert "lúc 09:30 17/11/2026" in reply
    assert "Cổng trường (gateway): trực tuyến" in reply
    assert "Đường truyền: hoạt động (fibre)" in reply
    assert "Thiết bị trực tuyến: 2/3" in reply
    assert "Thiết bị pc-02 mất kết nối (từ 09:10 17/11/2026)" in reply


def test_english_reply_and_the_bot_name_suffix(bot):
    sessions, tg, worker = bot
    add_contact(sessions, school_id="lc-test-01", telegram_chat_id="7002", language="en")
    reply = ask(tg, worker, 7002, "/status@schoolnet_laocai_bot")
    assert reply.startswith("Status of Trường THCS Thử Nghiệm 1")
    assert (
        "Gateway: online" in reply and "Devices online: 2/3" in reply and "Open incidents:" in reply
    )


def test_an_unregistered_chat_learns_its_id_and_nothing_else(bot):
    _, tg, worker = bot
    reply = ask(tg, worker, 9999, "/status lc-test-01")
    assert "chat id 9999" in reply and "Trường THCS" not in reply
    assert "chưa được đăng ký" in reply and "not registered" in reply


def test_commune_staff_name_a_school_their_commune_runs(bot):
    sessions, tg, worker = bot
    assign_communes(sessions)
    add_contact(
        sessions,
        name="Phòng VH-XH xã Bát Xát",
        role="commune",
        commune="08044",
        telegram_chat_id="7100",
    )
    # A district contact kept from before the reform sees nothing at all.
    add_contact(
        sessions, name="Phòng GDĐT cũ", role="district", district="bat-xat", telegram_chat_id="7200"
    )
    assert "Trường THCS" not in (ask(tg, worker, 7200, "/status lc-test-01") or "")
    assert "Trường THCS Thử Nghiệm 1" in ask(tg, worker, 7100, "/status")  # their only school
    assert (
        ask(tg, worker, 7100, "/status lc-test-02")
        == "Không có trường lc-test-02 trong phạm vi của bạn."
    )
    assert ask(tg, worker, 7100, "/status lc-test-01").startswith(
        "Tình trạng Trường THCS Thử Nghiệm 1"
    )


def test_other_messages_get_no_reply(bot):
    sessions, tg, worker = bot
    add_contact(sessions, school_id="lc-test-01", telegram_chat_id="7001")
    assert ask(tg, worker, 7001, "xin chào") is None
    assert ask(tg, worker, 7001, "/statusx") is None
    assert ask(tg, worker, 7001, "/status") is not None
    # Answered updates are confirmed (offset), so a restart does not answer them again.
    assert worker.status.poll_once(timeout=0) == 0


def test_the_running_collector_answers_by_long_poll(bot):
    sessions, tg, worker = bot
    add_contact(sessions, school_id="lc-test-01", telegram_chat_id="7001")
    worker.start()
    tg.push_message(7001, "/status")
    [reply] = tg.wait_sent(1, timeout=10)
    assert reply["chat_id"] == 7001 and "Thiết bị trực tuyến: 2/3" in reply["text"]
