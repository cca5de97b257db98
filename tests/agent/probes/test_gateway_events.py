"""Probe events: gathered by ProbeSet (malformed ones dropped), published by the runner as one
report on the ``events`` channel of a real broker, valid against the schema."""

from __future__ import annotations

import logging

from schoolnet_agent.config import AgentConfig, ProbeSettings
from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import Event, decode
from schoolnet_agent.runner import Runner
from schoolnet_agent.settings.device import DeviceSettings, StateSettings
from schoolnet_agent.settings.mqtt import MqttSettings
from tests.support.mqtt import Subscriber

EVENTS_TOPIC = "schoolnet/v1/lc-test-01/gw/events"
TELEMETRY_TOPIC = "schoolnet/v1/lc-test-01/gw/telemetry"


class Changing(Probe):
    """Reports a reading every time and, when told, an event once."""

    name = "changing"
    description = "test probe"
    fields = (Field("value_count", "count", "a reading"),)

    def __init__(self, queued=()):
        self.queued = list(queued)

    def collect(self):
        return [self.sample({"value_count": 1})]

    def events(self):
        out, self.queued = self.queued, []
        return out


class Failing(Changing):
    name = "failing"

    def events(self):
        raise RuntimeError("state lost")


FAILOVER = Event(
    "uplink_changed",
    {
        "from_type": "fibre",
        "to_type": "cellular",
        "from_isp": "VNPT",
        "to_isp": "Viettel",
        "reason": "failover",
    },
    severity="warning",
    message="uplink fibre (VNPT) -> cellular (Viettel): failover",
)


def test_probe_set_keeps_good_events_and_drops_malformed_ones(caplog):
    bad = [
        Event("Uplink Changed", {}),
        Event("x", {"k": float("nan")}),
        Event("x", {}, severity="fatal"),
        Event("x", {f"k{i}": i for i in range(33)}),
        Event("x", {}, message="m" * 513),
        "not an event",
    ]
    probes = ProbeSet([Failing(), Changing([FAILOVER, *bad])])
    probes.collect()
    assert probes.events() == [FAILOVER]
    assert probes.events() == [], "each event is handed out once"
    assert "probe 'failing' failed to give its events" in caplog.text
    assert "malformed event" in caplog.text
    assert [r for r in caplog.records if r.levelno == logging.ERROR]


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
        telemetry = decode(sub.wait_for(TELEMETRY_TOPIC).payload)
        events = decode(sub.wait_for(EVENTS_TOPIC).payload)  # validated against the schema
        assert events["events"] == [FAILOVER.as_json()]
        assert (events["school"], events["device"], events["kind"]) == (
            "lc-test-01",
            "gw",
            "gateway",
        )
        assert events["seq"] > telemetry["seq"], "events share the device's sequence"
        runner.tick()
        second = decode(sub.wait_for(TELEMETRY_TOPIC).payload)
        assert second["seq"] == events["seq"] + 1, "no events report when nothing happened"
        probe.queued = [FAILOVER]
        runner.tick()
        decode(sub.wait_for(TELEMETRY_TOPIC).payload)
        assert decode(sub.wait_for(EVENTS_TOPIC).payload)["events"][0]["type"] == "uplink_changed"
    finally:
        runner.transport.stop(graceful=True)
        sub.close()
