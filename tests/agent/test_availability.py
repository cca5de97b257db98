"""Availability: retained ``online`` on connect, ``offline`` on stop, crash, freeze.

The Last Will cases use real agent processes: SIGKILL closes the socket (the broker sees it at
once); SIGSTOP keeps it open, as a power cut or a dead 3G link does, so only the keepalive
lets the broker notice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.support.mqtt import ROOT, clear_retained


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
AVAIL_PC02 = f"{ROOT}/lc-test-01/pc-02/availability"


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
