"""The simulator publishes valid reports for every kind of device to a real Mosquitto.

A subscriber logged in as the collector receives everything; each payload must pass the
protocol's own ``decode`` and name the device of its topic. Simulator login: ``simulator``,
whose ACL allows writing all of ``schoolnet/v1/#``.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from schoolnet_agent.probes import PROBES
from schoolnet_agent.protocol import decode, parse_topic
from schoolnet_collector.simulator.__main__ import main as simulate
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.profile_file import load_profile

pytestmark = pytest.mark.timeout(60)


class Subscriber:
    """Everything under schoolnet/v1/, as the collector would receive it (live, not retained)."""

    def __init__(self, port: int):
        from tests.support.accounts import COLLECTOR

        self.messages: list[tuple[str, bytes]] = []
        self._subscribed = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-sim-sub")
        self.client.username_pw_set(COLLECTOR.username, COLLECTOR.password)
        self.client.on_message = lambda c, u, m: (
            None if m.retain else self.messages.append((m.topic, m.payload))
        )
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("schoolnet/v1/#", qos=1)
        self.client.loop_start()
        assert self._subscribed.wait(5)

    def settle(self, quiet: float = 0.5, limit: float = 10) -> None:
        """Wait until no message has arrived for ``quiet`` seconds."""
        deadline = time.monotonic() + limit
        count = -1
        while count != len(self.messages) and time.monotonic() < deadline:
            count = len(self.messages)
            time.sleep(quiet)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()

    def reports(self) -> list[dict]:
        out = []
        for topic, payload in self.messages:
            t = parse_topic(topic)
            if t.channel in ("telemetry", "events"):
                report = decode(payload)  # raises PayloadError on anything invalid
                assert (report["school"], report["device"]) == (t.school, t.device)
                assert ("events" in report) == (t.channel == "events")
                out.append(report)
        return out

    def availability(self) -> dict[tuple[str, str], list[bytes]]:
        seen: dict[tuple[str, str], list[bytes]] = defaultdict(list)
        for topic, payload in self.messages:
            t = parse_topic(topic)
            if t.channel == "availability":
                seen[(t.school, t.device)].append(payload)
        return seen


def login(port: int) -> list[str]:
    from tests.support.accounts import SIMULATOR

    return [
        "--broker",
        f"127.0.0.1:{port}",
        "--username",
        SIMULATOR.username,
        "--password",
        SIMULATOR.password,
    ]


def reporting_devices(scale: float, seed: int) -> dict[tuple[str, str], str]:
    fleet = generate_fleet(load_profile("lao-cai-2018"), scale, seed)
    return {(s.id, d.id): d.kind for s in fleet if s.online for d in s.devices if not d.broken}


@pytest.fixture()
def subscriber(mosquitto):
    sub = Subscriber(mosquitto.port)
    yield sub
    sub.close()


def test_every_device_reports_valid_payloads(mosquitto, subscriber, capsys):
    argv = [
        *login(mosquitto.port),
        "--scale",
        "0.05",
        "--interval",
        "1",
        "--duration",
        "2.5",
        "--seed",
        "5",
        "--no-incidents",
    ]
    assert simulate(argv) == 0
    subscriber.settle()
    out = capsys.readouterr().out
    assert "schools connected; publishing every 1 s" in out and "messages sent" in out
    expected = reporting_devices(0.05, 5)
    assert {"gateway", "lab_pc", "admin_pc", "projector", "board"} <= set(expected.values())
    reports = subscriber.reports()
    by_device: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in reports:
        by_device[(r["school"], r["device"])].append(r)
    assert set(by_device) == set(expected)  # all that should report do; broken ones never
    for key, rs in by_device.items():
        assert {r["kind"] for r in rs} == {expected[key]}
        seqs = [r["seq"] for r in rs]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert len(rs) >= 2
    metrics = defaultdict(set)
    for r in reports:
        for m in r["metrics"]:
            metrics[(r["kind"], m["name"])].update(m["fields"])
    for name in ("cpu", "mem", "disk", "net", "system"):
        for kind in ("gateway", "lab_pc", "admin_pc"):
            fields = metrics[(kind, name)]
            assert fields and fields <= PROBES.probe_class(name).field_names(), (kind, name)
    assert metrics[("gateway", "uplink")] == {
        "type",
        "isp",
        "fixed",
        "cellular",
        "up",
        "failover",
        "rtt_ms",
        "loss_percent",
        "bandwidth_in_bps",
        "bandwidth_out_bps",
    }
    assert metrics[("projector", "projector")] == {
        "power_on",
        "lamp_hours",
        "lamp_rated_hours",
        "error",
    }
    assert metrics[("board", "board")] == {"reachable", "uptime_seconds"}
    rtt = defaultdict(list)  # a USB 3G modem is far slower than fibre
    for r in reports:
        for m in r["metrics"]:
            if m["name"] == "uplink":
                rtt[m["fields"]["type"]].append(m["fields"]["rtt_ms"])
    assert min(rtt["cellular"]) > sum(rtt["fibre"]) / len(rtt["fibre"])
    availability = subscriber.availability()
    for key in expected:  # announced online at start, offline at the clean stop
        assert availability[key][0] == b"online" and availability[key][-1] == b"offline", key


def test_worker_processes_share_the_fleet(mosquitto, subscriber, capsys):
    argv = [
        *login(mosquitto.port),
        "--scale",
        "0.05",
        "--interval",
        "1",
        "--duration",
        "2",
        "--seed",
        "6",
        "--no-incidents",
        "--schools-per-process",
        "12",
    ]
    assert simulate(argv) == 0
    subscriber.settle()
    assert "33 schools in 3 worker processes" in capsys.readouterr().out
    gateways = {r["school"] for r in subscriber.reports() if r["kind"] == "gateway"}
    assert len(gateways) == 33


def test_wrong_password_exits_1_with_a_clear_message(mosquitto, capsys):
    argv = [
        "--broker",
        f"127.0.0.1:{mosquitto.port}",
        "--username",
        "simulator",
        "--password",
        "wrong",
        "--scale",
        "0.01",
        "--connect-timeout",
        "1.5",
    ]
    started = time.monotonic()
    assert simulate(argv) == 1
    assert time.monotonic() - started < 15
    err = capsys.readouterr().err
    assert f"no school could connect to 127.0.0.1:{mosquitto.port}" in err
    assert "check --broker, --username and --password" in err


def stormy_profile(tmp_path) -> str:
    """The Lào Cai profile with link incidents every few seconds, each lasting 2-3 s."""
    import yaml

    from schoolnet_collector.simulator.profile_file import PROFILE_DIR

    data = yaml.safe_load((PROFILE_DIR / "lao-cai-2018.yaml").read_text(encoding="utf-8"))
    data["behaviour"].update(
        failover_per_day=20000,
        failover_minutes=[0.03, 0.05],
        outage_per_day={"fibre": 8000, "cellular": 20000},
        outage_minutes=[0.03, 0.05],
    )
    path = tmp_path / "stormy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_outages_and_failovers_lose_nothing(mosquitto, subscriber, tmp_path):
    """Schools that drop off spool their reports and send them, in order, once back."""
    argv = [
        *login(mosquitto.port),
        "--profile",
        stormy_profile(tmp_path),
        "--scale",
        "0.03",
        "--interval",
        "0.5",
        "--duration",
        "8",
        "--seed",
        "9",
    ]
    assert simulate(argv) == 0
    subscriber.settle()
    reports = subscriber.reports()
    events = [e for r in reports for e in r.get("events", [])]
    assert {e["type"] for e in events} == {"uplink_changed"}, "the real gateway probe's name"
    assert {"link_lost", "link_back", "failover", "failback"} <= {
        e["data"]["reason"] for e in events
    }
    uplink = [m["fields"] for r in reports for m in r.get("metrics", []) if m["name"] == "uplink"]
    assert any(f["up"] == 0 and f["loss_percent"] == 100 for f in uplink)  # spooled while down
    assert any(f["failover"] == 1 for f in uplink)
    seqs = defaultdict(set)
    for r in reports:
        seqs[(r["school"], r["device"])].add(r["seq"])
    for key, got in seqs.items():  # nothing missing between a device's first and last report
        assert got == set(range(min(got), max(got) + 1)), key
    offline_then_online = [
        k
        for k, v in subscriber.availability().items()
        if v[:3] == [b"online", b"offline", b"online"]
    ]
    assert offline_then_online  # a school that dropped off came back and said so
