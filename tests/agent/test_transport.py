"""The agent's MQTT transport against a real Mosquitto with the production password file and ACL."""

from __future__ import annotations

import logging

from tests.support.mqtt import GW01, ROOT, Subscriber


def test_publish_reaches_the_collector(transport, subscriber):
    sub = subscriber()
    t = transport()
    t.start()
    assert t.wait_connected(5)
    t.publish("telemetry", b'{"x":1}')
    assert t.wait_for_publishes(5)
    assert sub.wait_for(f"{ROOT}/lc-test-01/pc-01/telemetry").payload == b'{"x":1}'
    assert t.pending == 0


def test_pc_account_cannot_write_other_devices_or_schools(transport, subscriber):
    sub = subscriber()
    t = transport()
    t.start()
    assert t.wait_connected(5)
    foreign = transport(school="lc-test-02", device="pc-01")  # PC-01's login, another school
    foreign.start()
    assert foreign.wait_connected(5)
    foreign.publish("telemetry", b"forged")
    assert foreign.wait_for_publishes(5)  # acknowledged by the broker, yet not delivered
    t.publish("telemetry", b"forged", device="pc-02")
    t.publish("telemetry", b"own")
    assert sub.wait_for(f"{ROOT}/lc-test-01/pc-01/telemetry", b"own")
    # Mosquitto queues to a subscriber in the order it handles publishes: "own" came last.
    assert not [m for m in sub.seen if m.payload == b"forged"]


def test_gateway_writes_its_whole_school_but_no_other(transport, subscriber):
    sub = subscriber()
    gw = transport(account=GW01, device="gw")
    stranger = transport(account=GW01, school="lc-test-02", device="gw")  # misconfigured school
    for t in (gw, stranger):
        t.start()
        assert t.wait_connected(5)
    stranger.publish("telemetry", b"foreign")
    assert stranger.wait_for_publishes(5)  # acknowledged by the broker, yet not delivered
    gw.publish("telemetry", b"projector", device="proj-01")
    assert sub.wait_for(f"{ROOT}/lc-test-01/proj-01/telemetry", b"projector")
    gw.publish("telemetry", b"done")
    assert sub.wait_for(f"{ROOT}/lc-test-01/gw/telemetry", b"done")
    assert not [m for m in sub.seen if m.topic.startswith(f"{ROOT}/lc-test-02/")]


def test_wrong_password_logs_one_clear_line_and_keeps_retrying(transport, caplog):
    caplog.set_level(logging.DEBUG, logger="schoolnet_agent.delivery.transport")
    t = transport(account=("lc-test-01/pc-01", "wrong"))
    t.start()
    assert not t.wait_connected(1.5)
    refusals = [r for r in caplog.records if "refused the connection" in r.getMessage()]
    assert len(refusals) >= 3, "it kept retrying"
    errors = [r for r in refusals if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "lc-test-01/pc-01" in errors[0].getMessage()
    assert "mqtt.password" in errors[0].getMessage()


def test_broker_down_at_start_then_restarted_resumes_publishing(fresh_mosquitto, transport):
    fresh_mosquitto.stop()
    t = transport(port=fresh_mosquitto.port)
    t.start()  # must not raise with nothing listening
    assert not t.wait_connected(0.5)
    fresh_mosquitto.start()
    assert t.wait_connected(5)
    sub = Subscriber(fresh_mosquitto.port, client_id="collector-restart", clean=False)
    try:
        fresh_mosquitto.stop()  # the broker saves the collector's persistent session
        t.publish("telemetry", b"queued-while-down")
        assert not t.wait_for_publishes(0.3)
        fresh_mosquitto.start()
        assert t.wait_for_publishes(10)
        assert sub.wait_for(f"{ROOT}/lc-test-01/pc-01/telemetry", b"queued-while-down", 10)
    finally:
        sub.close()
