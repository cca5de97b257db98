"""The main loop against a real broker: reports flow, numbered and on time; stops cleanly."""

from __future__ import annotations

import threading
import time

import pytest

from schoolnet_agent.config import AgentConfig, ProbeSettings
from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import decode
from schoolnet_agent.runner import Runner, next_due
from schoolnet_agent.settings.device import DeviceSettings, StateSettings
from schoolnet_agent.settings.mqtt import MqttSettings
from tests.support.mqtt import Subscriber, clear_retained
from tests.support.probes import FAILOVER, Changing

TELEMETRY = "schoolnet/v1/lc-test-01/pc-01/telemetry"
AVAILABILITY = "schoolnet/v1/lc-test-01/pc-01/availability"
EVENTS_TOPIC = "schoolnet/v1/lc-test-01/gw/events"
GW_TELEMETRY = "schoolnet/v1/lc-test-01/gw/telemetry"


class SlowProbe(Probe):
    """Takes a third of the interval to collect, as a slow old PC might."""

    name = "slow"
    description = "sleeps, then reports"
    fields = (Field("naps_count", "count", "collections so far"),)

    def __init__(self, nap: float):
        self.nap, self.naps = nap, 0

    def collect(self):
        time.sleep(self.nap)
        self.naps += 1
        return [self.sample({"naps_count": self.naps})]


def make_config(port, tmp_path, interval):
    return AgentConfig(
        DeviceSettings("lc-test-01", "pc-01", "lab_pc", interval),
        MqttSettings(
            port=port,
            username="lc-test-01/pc-01",
            password="pc-secret-01",
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.5,
        ),
        ProbeSettings(enabled=["mem", "system"]),
        StateSettings(str(tmp_path / "state")),
    )


@pytest.fixture()
def started(mosquitto, tmp_path):
    runners = []

    def start(interval=0.3, **kw):
        runner = Runner(make_config(mosquitto.port, tmp_path, interval), **kw)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        runners.append((runner, thread))
        return runner, thread

    yield start
    for runner, thread in runners:
        runner.stop()
        thread.join(10)
    clear_retained(mosquitto.port, AVAILABILITY)


def reports(sub, n, timeout=5.0):
    return [decode(sub.wait_for(TELEMETRY, timeout=timeout).payload) for _ in range(n)]


def test_reports_flow_on_schedule_with_increasing_seq(mosquitto, started):
    sub = Subscriber(mosquitto.port, topic=TELEMETRY)
    try:
        interval = 0.3
        _runner, _ = started(interval, probes=ProbeSet([SlowProbe(nap=0.1)]))
        got = reports(sub, 6)
    finally:
        sub.close()
    seqs = [r["seq"] for r in got]
    assert seqs == sorted(set(seqs)) and seqs[-1] - seqs[0] == 5
    assert all(r["interval"] == interval and r["kind"] == "lab_pc" for r in got)
    assert [r["metrics"][0]["fields"]["naps_count"] for r in got] == list(range(1, 7))
    spacing = (got[-1]["ts"] - got[0]["ts"]) / 5 / 1000
    assert spacing == pytest.approx(interval, abs=0.03), "collection time must not add drift"


def test_stop_announces_offline_and_returns(mosquitto, started):
    sub = Subscriber(mosquitto.port, topic="schoolnet/v1/lc-test-01/pc-01/+")
    try:
        runner, thread = started(0.2)
        sub.wait_for(AVAILABILITY, b"online")
        reports(sub, 1)
        runner.stop()
        thread.join(5)
        assert not thread.is_alive()
        sub.wait_for(AVAILABILITY, b"offline")
    finally:
        sub.close()
    late = Subscriber(mosquitto.port, topic=AVAILABILITY)
    try:
        assert late.wait_for(AVAILABILITY).payload == b"offline", "retained for later readers"
    finally:
        late.close()


def test_a_failing_delivery_does_not_stop_the_loop(mosquitto, started, caplog):
    sub = Subscriber(mosquitto.port, topic=TELEMETRY)
    calls = []

    def flaky(message):
        calls.append(message)
        if len(calls) == 1:
            raise OSError("spool disk full")
        runner.transport.publish(message.channel, message.payload)

    try:
        runner, _ = started(0.2, deliver=flaky)
        first = reports(sub, 1)[0]
    finally:
        sub.close()
    assert (
        len(calls) >= 2
        and "telemetry message not sent" in caplog.text
        and "spool disk full" in caplog.text
    )
    assert first["seq"] == 1, "the lost report's number is not reused"


@pytest.mark.parametrize(
    "due,now,expected",
    [
        (0.0, 0.3, 60.0),  # normal: the next slot
        (0.0, 59.9, 60.0),  # a slow collection does not shift the grid
        (0.0, 60.0, 120.0),  # exactly on the next slot: that one is gone
        (0.0, 250.0, 300.0),  # after a suspend: missed slots skipped, grid kept
    ],
)
def test_next_due_keeps_to_the_grid(due, now, expected):
    assert next_due(due, 60.0, now) == expected


def test_runner_publishes_events_after_the_report_and_nothing_when_there_are_none(
    mosquitto, tmp_path
):
    config = AgentConfig(
        DeviceSettings("lc-test-01", "gw", "gateway", 60),
        MqttSettings(port=mosquitto.port, username="lc-test-01", password="gw-secret-01"),
        ProbeSettings(enabled=[]),
        StateSettings(str(tmp_path / "state")),
    )
    probe = Changing([FAILOVER])
    runner = Runner(config, probes=ProbeSet([probe]))
    sub = Subscriber(mosquitto.port, topic="schoolnet/v1/lc-test-01/gw/+")
    runner.transport.start()
    try:
        runner.tick()
        telemetry = decode(sub.wait_for(GW_TELEMETRY).payload)
        events = decode(sub.wait_for(EVENTS_TOPIC).payload)  # validated against the schema
        assert events["events"] == [FAILOVER.as_json()]
        assert (events["school"], events["device"], events["kind"]) == (
            "lc-test-01",
            "gw",
            "gateway",
        )
        assert events["seq"] > telemetry["seq"], "events share the device's sequence"
        runner.tick()
        second = decode(sub.wait_for(GW_TELEMETRY).payload)
        assert second["seq"] == events["seq"] + 1, "no events report when nothing happened"
        probe.queued = [FAILOVER]
        runner.tick()
        decode(sub.wait_for(GW_TELEMETRY).payload)
        assert decode(sub.wait_for(EVENTS_TOPIC).payload)["events"][0]["type"] == "uplink_changed"
    finally:
        runner.transport.stop(graceful=True)
        sub.close()
        # The gateway's retained availability would reach the next collector on this broker.
        clear_retained(mosquitto.port, "schoolnet/v1/lc-test-01/gw/availability")
