"""The MQTT transport against a real Mosquitto with the production ACL: publishing, what a PC
and a gateway may write, a wrong password, a broker down and back; the retained availability
(online on connect, offline on a clean stop, the Will for a killed or frozen agent)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.support.mqtt import GW01, ROOT, Subscriber, clear_retained


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


AVAIL_PC02 = f"{ROOT}/lc-test-01/pc-02/availability"


def test_retained_online_on_connect_and_offline_on_graceful_stop(transport, subscriber):
    t = transport()
    t.start()
    assert t.wait_connected(5)
    assert t.wait_for_publishes(5)
    late = subscriber(topic=f"{ROOT}/lc-test-01/pc-01/availability")
    msg = late.wait_for(f"{ROOT}/lc-test-01/pc-01/availability")
    assert (msg.payload, msg.retain) == (b"online", True)
    t.stop()
    assert late.wait_for(msg.topic, b"offline").payload == b"offline"


def test_an_abrupt_stop_lets_the_broker_publish_the_will(transport, subscriber):
    """What a simulator uses to play a device that dies: no DISCONNECT, the Will fires."""
    topic = f"{ROOT}/lc-test-01/pc-01/availability"
    sub = subscriber(topic=topic)
    t = transport()
    t.start()
    assert t.wait_connected(5)
    sub.wait_for(topic, b"online")
    t.stop(graceful=False)
    assert sub.wait_for(topic, b"offline", timeout=2)
    assert not t.connected


CHILD = """
import sys, time
from schoolnet_agent.delivery.transport import MqttTransport
from schoolnet_agent.settings.mqtt import MqttSettings
t = MqttTransport(MqttSettings(port=int(sys.argv[1]), username="lc-test-01/pc-02",
                  password="pc-secret-02", keepalive=int(sys.argv[2])), "lc-test-01", "pc-02")
t.start()
assert t.wait_connected(10) and t.wait_for_publishes(10)
print("ready", flush=True)
time.sleep(60)
"""


KEEPALIVE = 2


@pytest.fixture()
def agent_process(mosquitto, subscriber):
    """A real agent process (pc-02) that is connected and announced ``online``."""
    sub = subscriber(topic=AVAIL_PC02)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(mosquitto.port), str(KEEPALIVE)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "ready"
        sub.wait_for(AVAIL_PC02, b"online")
        yield child, sub
    finally:
        child.kill()
        child.wait()
        clear_retained(mosquitto.port, AVAIL_PC02)


def test_killed_agent_reads_offline_within_one_and_a_half_keepalives(agent_process):
    child, sub = agent_process
    os.kill(child.pid, signal.SIGKILL)
    killed = time.monotonic()
    sub.wait_for(AVAIL_PC02, b"offline", timeout=3 * KEEPALIVE)
    assert time.monotonic() - killed <= 1.5 * KEEPALIVE


def test_frozen_agent_reads_offline_once_the_keepalive_expires(agent_process):
    """SIGSTOP keeps the socket open, as a power cut or a dead 3G link does: only the keepalive
    tells the broker. Mosquitto 2.0 checks keepalives every ~6 s in whole seconds, so the Will
    comes between 1.5 × keepalive and 1.5 × keepalive + 7 s."""
    child, sub = agent_process
    os.kill(child.pid, signal.SIGSTOP)
    frozen = time.monotonic()
    sub.wait_for(AVAIL_PC02, b"offline", timeout=1.5 * KEEPALIVE + 8)
    assert 1.5 * KEEPALIVE - 1 <= time.monotonic() - frozen <= 1.5 * KEEPALIVE + 7
