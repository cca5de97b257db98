"""A gateway reports its projectors and boards as devices of their own, through a real broker
with the production ACL: telemetry with per-device seq, retained availability when the
gateway starts/stops reaching them, retained inventory from PJLink."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from schoolnet_agent.config import AgentConfig, ProbeSettings
from schoolnet_agent.delivery.outgoing import Outgoing
from schoolnet_agent.probes.board import BoardSettings
from schoolnet_agent.probes.projector import ProjectorSettings
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import decode
from schoolnet_agent.runner import Runner
from schoolnet_agent.settings.device import DeviceSettings, StateSettings
from schoolnet_agent.settings.mqtt import MqttSettings
from schoolnet_agent.subdevices import Subdevices
from tests.support.mqtt import GW01, Subscriber, clear_retained
from tests.support.pjlink_server import FakeProjector, PJLinkServer

ROOT = "schoolnet/v1/lc-test-01"


def gateway_config(port, tmp_path, projectors, boards, interval=0.5):
    config = AgentConfig(
        DeviceSettings("lc-test-01", "gw-01", "gateway", interval),
        MqttSettings(
            port=port,
            username=GW01[0],
            password=GW01[1],
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.5,
        ),
        ProbeSettings(enabled=["system"]),
        StateSettings(str(tmp_path / "state")),
    )
    config.subdevices = {"projectors": projectors, "boards": boards}
    return config


def on(messages, where: str) -> list:
    """Decoded reports (raw payloads for availability) published on ``<ROOT>/<where>``."""
    topic = f"{ROOT}/{where}"
    return [
        m.payload if where.endswith("availability") else decode(m.payload)
        for m in messages
        if m.topic == topic
    ]


def states(messages) -> list:
    return [r["metrics"][0]["fields"].get("state") for r in on(messages, "proj-01/telemetry")]


def gather(sub: Subscriber, done, timeout: float = 10.0) -> list:
    """Every message the subscriber receives until ``done(messages)`` holds."""
    got: list = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            got.append(sub.messages.get(timeout=left))
        except queue.Empty:
            break
        if done(got):
            return got
    raise AssertionError(f"condition not met within {timeout}s; got {[m.topic for m in got]}")


@pytest.fixture()
def retained(mosquitto):
    topics = []
    yield topics
    clear_retained(mosquitto.port, *topics)


def test_gateway_reports_projector_and_board_as_their_own_devices(mosquitto, tmp_path, retained):
    retained += [
        f"{ROOT}/{d}/{c}"
        for d in ("gw-01", "proj-01", "board-01")
        for c in ("availability", "inventory")
    ]
    projector = FakeProjector(password="pj-secret", pjclass=2, lamps="2100 1")
    sub = Subscriber(mosquitto.port, topic=f"{ROOT}/#")
    with PJLinkServer(projector) as server:
        config = gateway_config(
            mosquitto.port,
            tmp_path,
            [ProjectorSettings("proj-01", "127.0.0.1", server.port, "pj-secret", 0.5, 3500)],
            [BoardSettings("board-01", "127.0.0.1", [server.port], timeout_seconds=0.5)],
        )
        runner = Runner(config)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        try:
            got = gather(
                sub,
                lambda got: (
                    len(on(got, "proj-01/telemetry")) >= 2
                    and on(got, "proj-01/inventory")
                    and on(got, "board-01/telemetry")
                ),
            )
            projector.silent = True  # eco standby: the projector stops answering
            got += gather(
                sub,
                lambda more: on(more, "proj-01/availability") and "unreachable" in states(more),
                timeout=15,
            )
        finally:
            runner.stop()
            thread.join(15)
            sub.close()
    first, second = on(got, "proj-01/telemetry")[:2]
    late = on(got, "proj-01/telemetry")[-1]
    fields = late["metrics"][0]["fields"]
    inventory = on(got, "proj-01/inventory")[0]
    board = on(got, "board-01/telemetry")[0]
    assert [m.payload for m in got if m.topic == f"{ROOT}/proj-01/availability"] == [
        b"online",
        b"offline",
    ]
    assert [m.payload for m in got if m.topic == f"{ROOT}/board-01/availability"] == [b"online"]
    assert first["kind"] == "projector" and first["device"] == "proj-01"
    assert second["seq"] > first["seq"] and late["seq"] > second["seq"]
    dev = next(m["fields"] for m in first["metrics"] if "instance" not in m)
    assert dev["power_on"] == 1 and dev["lamp_hours"] == 2100 and dev["lamp_rated_hours"] == 3500
    assert dev["error"] == 0 and dev["state"] == "on"
    assert inventory["inventory"]["serial"] == "X5KF1234567"
    assert inventory["inventory"]["lamp_count"] == 1
    assert board["kind"] == "board" and board["metrics"][0]["fields"]["reachable"] == 1
    assert fields == {"reachable": 0, "state": "unreachable", "power_on": 0, "error": 0}
    # Retained: a collector that subscribes later still learns the projector's last state.
    late_sub = Subscriber(mosquitto.port, topic=f"{ROOT}/proj-01/#")
    try:
        assert late_sub.wait_for(f"{ROOT}/proj-01/availability", b"offline").retain
        assert late_sub.wait_for(f"{ROOT}/proj-01/inventory").retain
    finally:
        late_sub.close()


def test_subdevice_sequence_numbers_survive_a_restart(tmp_path):
    sent: list[Outgoing] = []
    with PJLinkServer(FakeProjector()) as server:
        config = gateway_config(
            1, tmp_path, [ProjectorSettings("proj-01", "127.0.0.1", server.port, None, 1.0)], []
        )
        seqs = []
        for _ in range(2):  # two agent runs on the same state directory
            subdevices = Subdevices.from_config(config, lambda out: sent.append(out) or True)
            subdevices.tick()
            seqs += [decode(o.payload)["seq"] for o in sent if o.channel == "telemetry"][-1:]
    assert seqs[1] > seqs[0]
    assert (tmp_path / "state" / "devices" / "seq-proj-01").exists()
    availability = [o for o in sent if o.channel == "availability"]
    assert all(o.retain and o.device == "proj-01" and o.payload == b"online" for o in availability)


def test_an_unchanged_projector_inventory_is_sent_once_per_start(tmp_path):
    sent: list[Outgoing] = []
    with PJLinkServer(FakeProjector()) as server:
        config = gateway_config(
            1, tmp_path, [ProjectorSettings("proj-01", "127.0.0.1", server.port, None, 1.0)], []
        )
        subdevices = Subdevices.from_config(config, lambda out: sent.append(out) or True)
        for _ in range(3):
            subdevices.tick()
        server.projector.model = "EB-X06"  # the projector was swapped for another model
        subdevices.tick()
    inventories = [decode(o.payload)["inventory"] for o in sent if o.channel == "inventory"]
    assert [i["model"] for i in inventories] == ["EB-X05", "EB-X06"]
    assert len([o for o in sent if o.channel == "availability"]) == 1


def test_a_pc_cannot_be_given_projectors(tmp_path):
    from schoolnet_agent.config import ConfigError, load_config

    path = tmp_path / "agent.toml"
    path.write_text(
        '[device]\nschool = "lc-test-01"\nid = "pc-01"\nkind = "lab_pc"\n'
        '[[projectors]]\nid = "proj-01"\nhost = "127.0.0.1"\n'
    )
    with pytest.raises(ConfigError, match="projectors: only a gateway"):
        load_config(str(path), env={})


def test_probe_set_keeps_subdevice_probes_honest():
    """Sub-device samples pass through the same cleaning as the agent's own probes."""
    from schoolnet_agent.probes.projector import ProjectorProbe

    probe = ProjectorProbe(ProjectorSettings("proj-01", "127.0.0.1", 1, None, 0.2))
    samples = ProbeSet([probe]).collect()
    assert samples[0].fields["state"] == "unreachable"
