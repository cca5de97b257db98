"""Metered links: reports leave in compressed batches, lean, counted against the school's
budget, with a keepalive to match; bytes on the wire estimated, the month rolled over."""

from __future__ import annotations

import math

from schoolnet_agent.config import AgentConfig, ProbeSettings
from schoolnet_agent.delivery.budget import PING_EXCHANGE, Budget, detect_metered, lean, wire_bytes
from schoolnet_agent.delivery.metrics import DELIVERY_METRICS
from schoolnet_agent.delivery.settings import BudgetSettings
from schoolnet_agent.probes import PROBES
from schoolnet_agent.probes.cpu import CpuProbe
from schoolnet_agent.probes.mem import MemProbe
from schoolnet_agent.protocol import Sample, decode, encode
from schoolnet_agent.protocol.batch import decode_batch
from schoolnet_agent.runner import Runner
from schoolnet_agent.settings.device import DeviceSettings, StateSettings
from schoolnet_agent.settings.mqtt import MqttSettings
from tests.support.mqtt import Subscriber, clear_retained

BATCH_TOPIC = "schoolnet/v1/lc-test-01/pc-01/batch"


def metered_config(port, tmp_path, **budget):
    config = AgentConfig(
        DeviceSettings("lc-test-01", "pc-01", "lab_pc", 60),
        MqttSettings(
            port=port,
            username="lc-test-01/pc-01",
            password="pc-secret-01",
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.5,
        ),
        ProbeSettings(enabled=["cpu", "mem", "system"]),
        StateSettings(str(tmp_path / "state")),
    )
    config.budget = BudgetSettings(metered=True, batch_reports=4, **budget)
    return config


def test_metered_agent_sends_lean_batches_and_reports_its_budget(mosquitto, tmp_path):
    sub = Subscriber(mosquitto.port, topic="schoolnet/v1/lc-test-01/pc-01/#")
    runner = Runner(metered_config(mosquitto.port, tmp_path))
    assert runner.config.device.interval_seconds == 300  # lowered (from 60) on a metered link
    assert runner.config.mqtt.keepalive == 600  # a PC's keepalive lengthened
    runner.transport.start()
    runner.delivery.start()
    try:
        assert runner.transport.wait_connected(5)
        for _ in range(4):
            runner.tick()  # four reports, time compressed
        msg = sub.wait_for(BATCH_TOPIC, timeout=10)
    finally:
        runner.delivery.stop()
        runner.transport.stop()
        runner.delivery.close()
        sub.close()
        clear_retained(mosquitto.port, "schoolnet/v1/lc-test-01/pc-01/availability")
    assert not [m for m in sub.seen if m.topic.endswith("/telemetry")]  # nothing went alone
    reports = [decode(encode(r)) for r in decode_batch(msg.payload)]  # each valid alone
    assert [r["seq"] for r in reports] == sorted(r["seq"] for r in reports) and len(reports) == 4
    cpu = next(m for m in reports[0]["metrics"] if m["name"] == "cpu")
    assert "usage_percent" in cpu["fields"] and not CpuProbe.optional_fields() & set(cpu["fields"])
    budget = next(m for m in reports[-1]["metrics"] if m["name"] == "budget")["fields"]
    assert budget["metered"] == 1 and budget["used_bytes"] == 0  # nothing sent before it
    assert "allowed_bytes" not in budget  # lean: the collector knows it
    spool = next(m for m in reports[-1]["metrics"] if m["name"] == "spool")["fields"]
    assert spool["dropped_total"] == 0
    # The next start reads the month's count back from the spool.
    again = Runner(metered_config(mosquitto.port, tmp_path))
    assert again.delivery.budget.used_bytes >= wire_bytes(BATCH_TOPIC, len(msg.payload))
    again.delivery.spool.close()


def test_fixed_line_keeps_full_detail_and_its_interval(mosquitto, tmp_path):
    config = metered_config(mosquitto.port, tmp_path)
    config.budget.metered = False
    runner = Runner(config)
    try:
        assert runner.config.device.interval_seconds == 60 and runner.config.mqtt.keepalive == 20
        samples = runner._samples()
        cpu = next(s for s in samples if s.name == "cpu")
        assert "idle_percent" in cpu.fields
        budget = next(s for s in samples if s.name == "budget").fields
        assert budget["metered"] == 0 and budget["allowed_bytes"] == 30 * 1024 * 1024 // 30
        assert budget["keepalive_seconds"] == 20
    finally:
        runner.delivery.spool.close()


def test_a_gateway_keeps_a_short_keepalive_on_a_metered_link(mosquitto, tmp_path):
    config = metered_config(mosquitto.port, tmp_path)
    config.device.kind = "gateway"
    runner = Runner(config)
    try:
        assert runner.config.mqtt.keepalive == 60  # its Will is the school-offline alert
    finally:
        runner.delivery.spool.close()


class Uplink:
    def __init__(self, cellular):
        self.cellular, self.interface, self.reason = cellular, "ppp0", "name ppp0"


def test_auto_asks_the_uplink_classifier():
    assert detect_metered("auto", lambda: Uplink(True)) is True
    assert detect_metered("auto", lambda: Uplink(False)) is False
    assert detect_metered(True, lambda: Uplink(False)) is True

    def broken():
        raise OSError("no /proc")

    assert detect_metered("auto", broken) is False


def test_lean_drops_only_declared_optional_fields():
    samples = [
        Sample("cpu", {"usage_percent": 1.0, "idle_percent": 99.0}),
        Sample("mem", {"used_bytes": 5}),
        Sample("other", {"x_count": 1}),
    ]
    optional = {p.name: p.optional_fields() for p in (CpuProbe, MemProbe)}
    assert [(s.name, s.fields) for s in lean(samples, optional)] == [
        ("cpu", {"usage_percent": 1.0}),
        ("other", {"x_count": 1}),
    ]


def test_wire_estimate_counts_headers_and_segments():
    topic = "schoolnet/v1/lc-test-01/pc-01/batch"
    small = wire_bytes(topic, 100)
    assert small == (1 + 2 + 2 + len(topic) + 2 + 100) + 52 + 4 + 52 + 52  # 2-byte length
    assert wire_bytes(topic, 3000) > small + 2900 + 2 * 52  # three segments


def test_keepalive_pings_are_counted_and_the_month_rolls_over():
    now = [1_764_000_000.0]  # 2025-11-24
    budget = Budget(BudgetSettings(), metered=True, keepalive=20, wall=lambda: now[0])
    now[0] += 60
    budget.sample()
    assert budget.used_bytes == 3 * PING_EXCHANGE
    now[0] += 8 * 86400  # into December
    budget.count(10)
    assert budget.used_bytes == 10


def test_batches_space_out_when_over_budget():
    now = [1_764_547_200.0 + 15 * 86400]  # mid-December 2025
    budget = Budget(
        BudgetSettings(batch_seconds=100), metered=True, keepalive=300, wall=lambda: now[0]
    )
    oldest_ms = int((now[0] - 150) * 1000)
    assert budget.batch_due(1, oldest_ms, 12)  # on pace: 100 s
    assert budget.batch_size(256) == 12
    budget.count(budget.settings.device_share_bytes)  # the whole month's share already
    assert budget.pace() > 1.5
    assert not budget.batch_due(1, oldest_ms, 12)  # spaced out
    size = budget.batch_size(256)
    assert size == math.ceil(12 * budget.pace()) > 18  # and larger
    assert budget.batch_due(size, oldest_ms, size)  # a full batch still goes
    assert budget.batch_size(16) == 16


def test_a_lean_report_leaves_out_what_the_probes_declare_optional_and_nothing_else():
    """What a metered link leaves out, field by field: no alert, dashboard panel or planners'
    report reads these, or they follow from the fields kept. A change here changes every 3G
    school's reports."""
    classes = [PROBES.probe_class(r.name) for r in PROBES] + list(DELIVERY_METRICS)
    optional = {cls.name: cls.optional_fields() for cls in classes if cls.optional_fields()}
    assert optional == {
        "cpu": {
            "user_percent",
            "system_percent",
            "steal_percent",
            "idle_percent",
            "load5",
            "load15",
            "logical_count",
        },
        "mem": {"total_bytes", "used_bytes", "swap_total_bytes", "swap_used_bytes"},
        "disk": {"total_bytes", "used_bytes"},
        "diskio": {"read_ops_total", "write_ops_total"},
        "net": {
            "recv_packets_total",
            "sent_packets_total",
            "recv_drops_total",
            "sent_drops_total",
            "speed_bps",
        },
        "system": {"boot_time_seconds", "process_count", "users_count"},
        "sensors": {"high_celsius", "critical_celsius", "battery_left_seconds"},
        "spool": {"acked_count", "stored_bytes", "max_bytes", "quarantined_count"},
        "budget": {"allowed_bytes", "used_percent", "keepalive_seconds"},
    }
