"""Acting on an incident from the message itself (issue 14): the e-mail links' signatures, and
Telegram's buttons and "OK" replies through the local Telegram server (the links' page:
tests/collector/web/test_act.py). Each act stops escalation and names who acted and how."""

from __future__ import annotations

from datetime import timedelta

import pytest

from schoolnet_collector.notify import actions
from schoolnet_collector.notify.actions import LinkError
from tests.support.actions import NOW, SECRET, TUESDAY_0900, site, state
from tests.support.notify import add_contact, open_incident

__all__ = ["site"]  # the fixture


# --- the links themselves ---------------------------------------------------------------------
def test_a_link_verifies_only_whole_unchanged_and_in_time():
    token = actions.sign(SECRET, 42, 7, "acknowledge", NOW + timedelta(hours=1))
    claim = actions.verify(SECRET, token, NOW)
    assert (claim.incident_id, claim.contact_id, claim.action) == (42, 7, "acknowledge")
    other = actions.sign(SECRET, 42, 7, "acknowledge", NOW + timedelta(hours=1))
    assert actions.verify(SECRET, other, NOW).jti != claim.jti  # each link is its own
    payload, mac = token.split(".")
    forged = actions._b64(actions._unb64(payload).replace(b".42.", b".43."))
    for bad in (
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature changed
        f"{forged}.{mac}",  # another incident under the same signature
        "",
        "x" * 300,
        token + "\n",
        "../../etc/passwd",
        f"{payload}.{'A' * 43}",
    ):
        with pytest.raises(LinkError) as refused:
            actions.verify(SECRET, bad, NOW)
        assert refused.value.reason == "invalid", bad
    with pytest.raises(LinkError, match="invalid"):
        actions.verify("another key of forty characters at least!", token, NOW)
    with pytest.raises(LinkError, match="expired"):
        actions.verify(SECRET, token, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    "text, ack",
    [("OK", True), ("ok!", True), ("Đã nhận", True), (" đã nhận. ", True), ("hi", False)],
)
def test_replies_that_acknowledge(text, ack):
    assert actions.is_ack_reply(text) is ack


# --- Telegram: buttons and replies -------------------------------------------------------------
def test_a_telegram_button_acknowledges_only_for_the_chat_it_was_sent_to(site):
    tg, worker, sessions = site["tg"], site["worker"], site["rt"].sessions
    add_contact(sessions, name="Cô Lan", school_id="lc-test-01", telegram_chat_id="7001")
    add_contact(sessions, name="Thầy Nam", school_id="lc-test-02", telegram_chat_id="7002")
    incident = open_incident(sessions, site["clock"]())
    worker.tick()
    [sent] = tg.wait_sent(1)
    keyboard = sent["reply_markup"]["inline_keyboard"][0]
    assert [(b["text"], b["callback_data"]) for b in keyboard] == [
        ("Tôi đang xử lý", f"ack:{incident}"),
        ("Đã khắc phục", f"res:{incident}"),
    ]
    tg.push_callback(7002, f"ack:{incident}")  # another school's teacher, guessing the id
    tg.push_callback(7001, "ack:not-a-number")
    worker.status.poll_once(timeout=0)
    assert [a["text"] for a in tg.answers] == [
        "Tin cảnh báo này không được gửi tới cuộc trò chuyện này."
    ]
    assert state(site, incident)[0] == "open"
    tg.push_callback(7001, f"ack:{incident}")
    worker.status.poll_once(timeout=0)
    assert tg.answers[-1]["text"].startswith("Đã xác nhận: Trường mất kết nối")
    now_state, events = state(site, incident)
    assert now_state == "acknowledged" and ("acknowledged", "Cô Lan (telegram)") in events
    tg.push_callback(7001, f"ack:{incident}")  # a second tap
    worker.status.poll_once(timeout=0)
    assert tg.answers[-1]["text"] == "Cảnh báo này đã được xác nhận hoặc đã khắc phục."
    for minute in range(5, 65, 5):
        worker.tick(site["clock"].at(TUESDAY_0900 + timedelta(minutes=minute)))
    assert len(tg.wait_sent(2, timeout=0.5)) == 1  # no reminder, no escalation


def test_an_ok_reply_acknowledges_the_newest_alert_sent_to_the_chat(site):
    tg, worker, sessions = site["tg"], site["worker"], site["rt"].sessions
    add_contact(sessions, name="Cô Lan", school_id="lc-test-01", telegram_chat_id="7001")
    tg.push_message(7001, "OK")
    worker.status.poll_once(timeout=0)
    assert "Không có cảnh báo" in tg.wait_sent(1)[-1]["text"]
    incident = open_incident(sessions, site["clock"]())
    worker.tick()
    tg.wait_sent(2)
    tg.push_message(7001, "đã nhận")
    worker.status.poll_once(timeout=0)
    assert tg.wait_sent(3)[-1]["text"].startswith("Đã xác nhận")
    assert state(site, incident)[0] == "acknowledged"
    tg.push_message(9999, "OK")  # a chat nobody registered
    worker.status.poll_once(timeout=0)
    assert "Không có cảnh báo" in tg.wait_sent(4)[-1]["text"]
