"""The agent's MQTT transport against a real Mosquitto with the production password file and ACL.

``Subscriber`` and the ``subscriber``/``transport`` fixtures are shared with the other agent tests.
"""
from __future__ import annotations

import logging
import queue
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from schoolnet_agent.transport import MqttSettings, MqttTransport

ROOT = "schoolnet/v1"
PC01 = ("lc-test-01/pc-01", "pc-secret-01")
GW01 = ("lc-test-01", "gw-secret-01")


class Subscriber:
    """The collector's side, written with paho directly: every message lands in a queue."""

    def __init__(self, port: int, topic: str = f"{ROOT}/#", client_id: str | None = None,
                 clean: bool = True):
        self.messages: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self.seen: list[mqtt.MQTTMessage] = []  # passed over by wait_for, kept for assertions
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, clean_session=clean,
                                  client_id=client_id or f"sub-{uuid.uuid4().hex[:8]}")
        self.client.username_pw_set("collector", "collector-secret")
        self.client.on_message = lambda c, u, m: self.messages.put(m)
        subscribed = queue.Queue()
        self.client.on_subscribe = lambda *a: subscribed.put(True)
        self.client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        subscribed.get(timeout=5)

    def wait_for(self, topic: str, payload: bytes | None = None, timeout: float = 5.0):
        """The first message on ``topic`` (with ``payload`` if given); others seen are kept."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.messages.get(timeout=left)
            except queue.Empty:
                break
            if msg.topic == topic and (payload is None or msg.payload == payload):
                return msg
            self.seen.append(msg)
        raise AssertionError(f"no message {payload!r} on {topic} within {timeout}s")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture()
def subscriber(mosquitto):
    subs = []

    def make(port=None, **kw):
        s = Subscriber(port or mosquitto.port, **kw)
        subs.append(s)
        return s

    yield make
    for s in subs:
        s.close()


@pytest.fixture()
def transport(mosquitto):
    made = []

    def make(account=PC01, school="lc-test-01", device="pc-01", port=None, **settings):
        user, password = account
        s = MqttSettings(port=port or mosquitto.port, username=user, password=password,
                         reconnect_min_delay=0.1, reconnect_max_delay=0.5, **settings)
        t = MqttTransport(s, school, device, client_id=f"{school}.{device}.{uuid.uuid4().hex[:6]}")
        made.append(t)
        return t

    yield make
    for t in made:
        t.stop()
    clear_retained(mosquitto.port, *{f"{ROOT}/{t.school}/{t.device}/availability" for t in made})


def clear_retained(port: int, *topics: str) -> None:
    """Remove the retained availability our agents left, so later tests on the shared broker
    (the collector's) start from a clean slate. The simulator account may write any topic."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"cleaner-{uuid.uuid4().hex[:8]}")
    client.username_pw_set("simulator", "simulator-secret")
    client.connect("127.0.0.1", port, keepalive=10)
    client.loop_start()
    try:
        for topic in topics:
            client.publish(topic, b"", qos=1, retain=True).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


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
    caplog.set_level(logging.DEBUG, logger="schoolnet_agent.transport")
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
