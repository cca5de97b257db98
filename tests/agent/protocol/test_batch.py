"""The batch format of metered links: it round-trips and is smaller than its reports, a broken
one is refused with a reason, and the collector checks every report in it as if it came alone."""

from __future__ import annotations

import json
import zlib

import pytest
from sqlalchemy import select

from schoolnet_agent.protocol import PayloadError, Sample, build_report, encode
from schoolnet_agent.protocol.batch import decode_batch, encode_batch
from schoolnet_collector.registry.models import DeadLetter
from tests.support.collector import collector_settings, device_client, running_collector, wait_until

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
