"""Metered links: reports leave in compressed batches, lean, counted against the school's
budget; the collector unpacks a batch and checks every report in it as if it came alone."""

from __future__ import annotations

import json
import math
import zlib

import pytest
from sqlalchemy import select

from schoolnet_agent.config import AgentConfig, ProbeSettings
from schoolnet_agent.delivery.budget import PING_EXCHANGE, Budget, detect_metered, lean, wire_bytes
from schoolnet_agent.delivery.settings import BudgetSettings
from schoolnet_agent.probes.cpu import CpuProbe
from schoolnet_agent.probes.mem import MemProbe
from schoolnet_agent.protocol import PayloadError, Sample, build_report, decode, encode
from schoolnet_agent.protocol.batch import decode_batch, encode_batch
from schoolnet_agent.runner import Runner
from schoolnet_agent.settings.device import DeviceSettings, StateSettings
from schoolnet_agent.settings.mqtt import MqttSettings
from schoolnet_collector.registry.models import DeadLetter
from tests.support.collector import collector_settings, device_client, running_collector, wait_until
from tests.support.mqtt import Subscriber, clear_retained

BATCH_TOPIC = "schoolnet/v1/lc-test-01/pc-01/batch"


def report(seq, device="pc-01", ts=None):
    return build_report(
        "lc-test-01",
        device,
        "lab_pc",
        seq,
        [Sample("cpu", {"usage_percent": 10.0 + seq})],
        ts_ms=ts or 1_764_000_000_000 + seq,
        interval=300,
    )


# -- the batch format ----------------------------------------------------------------------


def test_a_batch_round_trips_and_is_smaller_than_its_reports():
    payloads = [encode(report(i)) for i in range(12)]
    batch = encode_batch(payloads)
    assert decode_batch(batch) == [json.loads(p) for p in payloads]
    assert len(batch) < sum(map(len, payloads)) / 3


@pytest.mark.parametrize(
    "payload, reason",
    [
        (b"plain text", "bad_batch"),
        (zlib.compress(b"[1, 2")[:-3], "bad_batch"),  # truncated stream
        (zlib.compress(b'{"not": "a list"}'), "bad_batch"),
        (zlib.compress(b"[]"), "bad_batch"),
        (zlib.compress(b"not json"), "bad_batch"),
        (zlib.compress(b"[" + b"0," * 300 + b"0]"), "bad_batch"),  # over 256 reports
        (zlib.compress(b" " * (5 * 1024 * 1024)), "oversize"),  # a zip bomb
    ],
)
def test_a_broken_batch_is_refused_with_a_reason(payload, reason):
    with pytest.raises(PayloadError) as exc:
        decode_batch(payload)
    assert exc.value.reason == reason


# -- the collector's side --------------------------------------------------------------------


@pytest.fixture()
def runtime(tmp_path, mosquitto, influxdb, influx_db_name):
    with running_collector(collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)) as rt:
        yield rt


def test_collector_stores_each_report_of_a_batch_and_dead_letters_only_the_bad_one(
    runtime, mosquitto
):
    bad = {**report(3), "seq": -1}  # breaks the schema
    other = report(4, device="pc-02")  # names another device than the topic
    items = [
        encode(report(1)),
        encode(report(2)),
        encode(bad),
        encode(other),
        encode({**report(5), "backfill": True}),
    ]
    pc = device_client(mosquitto, "lc-test-01/pc-01", "pc-secret-01")
    pc.publish(BATCH_TOPIC, encode_batch(items), qos=1).wait_for_publish(5)
    rows = wait_until(
        lambda: (
            len(
                r := runtime.store.rows(
                    "SELECT seq, backfill FROM \"report\" WHERE device = 'pc-01'"
                )
            )
            == 3
            and r
        ),
        timeout=15,
    )
    assert [(r["time"], r["seq"], r.get("backfill")) for r in rows] == [
        (1_764_000_000_001, 1.0, None),
        (1_764_000_000_002, 2.0, None),
        (1_764_000_000_005, 5.0, 1.0),
    ]
    cpu = runtime.store.rows("SELECT usage_percent FROM \"cpu\" WHERE device = 'pc-01'")
    assert [c["usage_percent"] for c in cpu] == [11.0, 12.0, 15.0]
    assert wait_until(
        lambda: dict(runtime.ingest.rejects.counts) == {"schema": 1, "topic_mismatch": 1}
    )

    def dead_letters():
        with runtime.sessions() as s:
            return sorted((d.reason, d.topic) for d in s.scalars(select(DeadLetter)))

    assert wait_until(lambda: len(dead_letters()) == 2, timeout=10)
    assert dead_letters() == [("schema", BATCH_TOPIC), ("topic_mismatch", BATCH_TOPIC)]
    pc.loop_stop()


def test_collector_dead_letters_a_batch_that_does_not_inflate(runtime, mosquitto):
    pc = device_client(mosquitto, "lc-test-01/pc-01", "pc-secret-01")
    pc.publish(BATCH_TOPIC, b"\x78\x9cgarbage", qos=1).wait_for_publish(5)
    pc.publish(
        "schoolnet/v1/lc-test-01/pc-01/telemetry", encode(report(9)), qos=1
    ).wait_for_publish(5)
    assert wait_until(lambda: runtime.store.rows('SELECT seq FROM "report"'), timeout=15)
    assert wait_until(lambda: dict(runtime.ingest.rejects.counts) == {"bad_batch": 1})
    pc.loop_stop()


# -- the agent's side --------------------------------------------------------------------------


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
