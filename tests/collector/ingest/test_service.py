"""Ingest against real Mosquitto and InfluxDB: good reports stored exactly, bad ones
rejected by reason and kept as dead letters, good messages around them still stored."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.registry.models import DeadLetter, Device, School
from schoolnet_collector.runtime import Runtime
from tests.support.collector import collector_settings, device_client, running_collector, wait_until
from tests.support.units import assign_communes


@pytest.fixture()
def runtime(tmp_path, mosquitto, influxdb, influx_db_name):
    with running_collector(collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)) as rt:
        yield rt


def report(school="lc-test-01", device="pc-01", seq=1, ts=None, **kw):
    samples = [
        Sample("cpu", {"usage_percent": 12.5, "load1": 0}),
        Sample("disk", {"used_bytes": 123456789012, "used_percent": 61.0}, instance="/"),
        Sample("uplink", {"up": True, "isp": 'Viettel "FTTH"'}),
    ]
    return build_report(
        school,
        device,
        "lab_pc",
        seq,
        samples,
        ts_ms=ts or int(time.time() * 1000),
        interval=60,
        **kw,
    )


def test_report_stored_with_exact_values_and_tags(runtime):
    pc = device_client(_broker(runtime), "lc-test-01/pc-01", "pc-secret-01")
    ts = int(time.time() * 1000) - 5000
    pc.publish(
        "schoolnet/v1/lc-test-01/pc-01/telemetry", encode(report(seq=7, ts=ts)), qos=1
    ).wait_for_publish(5)
    rows = wait_until(lambda: runtime.store.rows('SELECT * FROM "disk"'))
    assert rows == [
        {
            "time": ts,
            "commune": "unassigned",  # the two test schools have no commune in this registry
            "device": "pc-01",
            "instance": "/",
            "kind": "lab_pc",
            "level": "thcs",
            "managing_body": "commune",
            "province": "lao-cai",
            "school": "lc-test-01",
            "used_bytes": 123456789012.0,
            "used_percent": 61.0,
        }
    ]
    cpu = runtime.store.rows('SELECT usage_percent, load1 FROM "cpu"')
    assert cpu == [{"time": ts, "usage_percent": 12.5, "load1": 0.0}]
    # Declared types (ingest/declared.json): a bool field is stored as 1.0, text as text.
    uplink = runtime.store.rows('SELECT up, isp FROM "uplink"')
    assert uplink == [{"time": ts, "up": 1.0, "isp": 'Viettel "FTTH"'}]
    rep = runtime.store.rows('SELECT seq, interval_seconds FROM "report"')
    assert rep == [{"time": ts, "seq": 7.0, "interval_seconds": 60.0}]
    pc.loop_stop()

    # The registry learnt the device on its first report.
    def registered():
        with runtime.sessions() as s:
            return s.scalars(select(Device)).all()

    devices = wait_until(registered, timeout=5)
    assert [(d.school_id, d.device_id, d.kind, d.last_seq) for d in devices] == [
        ("lc-test-01", "pc-01", "lab_pc", 7)
    ]


def _broker(runtime):
    return type("B", (), {"port": runtime.settings.mqtt.port})()


BAD_MESSAGES = [
    ("schoolnet/v1/lc-test-01/pc-01/telemetry", b"{not json", "not_json"),
    ("schoolnet/v1/lc-test-01/pc-01/telemetry", b"[1, 2]", "not_object"),
    (
        "schoolnet/v1/lc-test-01/pc-01/telemetry",
        json.dumps({"schema": 2}).encode(),
        "wrong_version",
    ),
    ("schoolnet/v1/lc-test-01/pc-01/telemetry", encode({**report(), "seq": -3}), "schema"),
    ("schoolnet/v1/lc-test-01/pc-01/telemetry", encode(report(device="pc-02")), "topic_mismatch"),
    ("schoolnet/v1/lc-test-01/pc-01/events", encode(report()), "topic_mismatch"),
    ("schoolnet/v1/lc-test-01/pc-01/telemetry", b"{" + b" " * (300 * 1024) + b"}", "oversize"),
    ("schoolnet/v1/lc-test-01/pc-01/availability", b"maybe", "bad_availability"),
    ("schoolnet/v1/lc-test-01/pc-01/status", encode(report()), "bad_topic"),
]


def test_each_bad_input_rejected_by_reason_and_good_ones_around_it_stored(runtime):
    gw = device_client(_broker(runtime), "lc-test-01", "gw-secret-01")
    stranger = device_client(_broker(runtime), "simulator", "simulator-secret")
    seq = 100
    expected = {}
    for topic, payload, reason in BAD_MESSAGES:
        seq += 1
        gw.publish(
            "schoolnet/v1/lc-test-01/pc-01/telemetry",
            encode(report(seq=seq, ts=1_764_000_000_000 + seq)),
            qos=1,
        )
        gw.publish(topic, payload, qos=1).wait_for_publish(5)
        expected[reason] = expected.get(reason, 0) + 1
    # A registered topic layout but a school the registry does not know.
    stranger.publish(
        "schoolnet/v1/lc-nowhere/pc-01/telemetry", encode(report(school="lc-nowhere")), qos=1
    ).wait_for_publish(5)
    expected["unknown_school"] = 1
    seq += 1
    gw.publish(
        "schoolnet/v1/lc-test-01/pc-01/telemetry",
        encode(report(seq=seq, ts=1_764_000_000_000 + seq)),
        qos=1,
    ).wait_for_publish(5)
    good = len(BAD_MESSAGES) + 1
    counted = wait_until(
        lambda: (
            dict(runtime.ingest.rejects.counts) == expected
            and runtime.store.rows('SELECT count(seq) AS n FROM "report"')
            == [{"time": 0, "n": good}]
        ),
        timeout=15,
    )
    assert dict(runtime.ingest.rejects.counts) == expected
    assert runtime.store.rows('SELECT count(seq) AS n FROM "report"') == [{"time": 0, "n": good}]
    assert counted

    def dead_letters():
        with runtime.sessions() as s:
            return sorted(d.reason for d in s.scalars(select(DeadLetter)))

    assert wait_until(lambda: len(dead_letters()) == sum(expected.values()), timeout=5)
    assert dead_letters() == sorted(r for r, n in expected.items() for _ in range(n))
    for c in (gw, stranger):
        c.loop_stop()


def test_rejections_logged_once_per_device_and_reason(runtime, caplog):
    gw = device_client(_broker(runtime), "lc-test-01", "gw-secret-01")
    with caplog.at_level("WARNING", logger="schoolnet.ingest.rejects"):
        for _ in range(50):
            gw.publish("schoolnet/v1/lc-test-01/pc-01/telemetry", b"garbage", qos=1)
        gw.publish("schoolnet/v1/lc-test-01/pc-02/telemetry", b"garbage", qos=1).wait_for_publish(5)
        assert wait_until(lambda: runtime.ingest.rejects.counts["not_json"] == 51)
    notices = [r for r in caplog.records if "not_json" in r.getMessage()]
    assert len(notices) == 2  # pc-01 once, pc-02 once; 49 more counted, not logged
    gw.loop_stop()


def test_two_collectors_under_share_split_the_stream_and_store_each_report_once(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    """Several collectors, one $share group, one registry: each report is handled by exactly
    one of them, and together they store all of them."""
    group = {"share_group": f"g-both-{tmp_path.name}"[:60]}
    first = collector_settings(
        tmp_path, mosquitto, influxdb, influx_db_name, mqtt={**group, "client_id": "both-a"}
    )
    second = collector_settings(
        tmp_path, mosquitto, influxdb, influx_db_name, mqtt={**group, "client_id": "both-b"}
    )
    with running_collector(first) as a, running_collector(second) as b:
        gw = device_client(_broker(a), "lc-test-01", "gw-secret-01")
        t0 = 1_764_000_000_000
        for seq in range(1, 201):
            gw.publish(
                f"schoolnet/v1/lc-test-01/pc-{seq % 7:02d}/telemetry",
                encode(report(device=f"pc-{seq % 7:02d}", seq=seq, ts=t0 + seq)),
                qos=1,
            )
        gw.publish(
            "schoolnet/v1/lc-test-01/pc-00/telemetry",
            encode(report(device="pc-00", seq=999, ts=t0)),
            qos=1,
        ).wait_for_publish(10)
        assert wait_until(
            lambda: a.store.rows('SELECT count(seq) AS n FROM "report"') == [{"time": 0, "n": 201}],
            timeout=20,
        )
        handled = (a.ingest.stats["accepted"], b.ingest.stats["accepted"])
        gw.loop_stop()
    assert sum(handled) == 201 and min(handled) > 0, handled


def test_reports_held_while_influxdb_is_down_are_written_when_it_returns(tmp_path, mosquitto):
    """The writer puts the batches in its durable spool while InfluxDB is down and writes
    them back when it returns: an InfluxDB restart loses nothing (a collector restarted
    during the outage is covered in test_collector_at_least_once.py)."""
    from devenv.services import InfluxDB1

    influx = InfluxDB1(tmp_path / "influx-own").start()
    influx.create_database("outage")
    try:
        with running_collector(collector_settings(tmp_path, mosquitto, influx, "outage")) as rt:
            gw = device_client(_broker(rt), "lc-test-01", "gw-secret-01")
            t0 = 1_764_000_000_000
            gw.publish(
                "schoolnet/v1/lc-test-01/pc-01/telemetry", encode(report(seq=1, ts=t0)), qos=1
            ).wait_for_publish(5)
            assert wait_until(
                lambda: (
                    rt.store.rows('SELECT count(seq) AS n FROM "report"') == [{"time": 0, "n": 1}]
                )
            )
            influx.kill()
            for seq in range(2, 52):
                gw.publish(
                    "schoolnet/v1/lc-test-01/pc-01/telemetry",
                    encode(report(seq=seq, ts=t0 + seq)),
                    qos=1,
                ).wait_for_publish(5)
            assert wait_until(lambda: rt.ingest.stats["write_retries"] >= 1, timeout=10)
            assert rt.ingest.last_write_error
            influx.start()
            assert wait_until(
                lambda: (
                    rt.store.rows('SELECT count(seq) AS n FROM "report"') == [{"time": 0, "n": 51}]
                ),
                timeout=30,
            )
            assert wait_until(lambda: rt.ingest.last_write_error is None, timeout=5)
            gw.loop_stop()
    finally:
        influx.stop()


def test_points_carry_the_registry_s_commune_and_managing_body(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    """Tags come from the registry: lc-test-01 (a THCS) is its commune's, lc-test-02 made a
    THPT stands in 08050 but is the Sở's; no point carries the old district."""
    rt = Runtime.open(collector_settings(tmp_path, mosquitto, influxdb, influx_db_name))
    try:
        assign_communes(rt.sessions)
        with rt.sessions() as s:
            s.get(School, "lc-test-02").level = "thpt"
            s.commit()
        rt.connect_store()
        rt.start_ingest()
        assert wait_until(lambda: rt.ingest.subscriber.connected)
        ts = int(time.time() * 1000) - 5000
        for (user, secret), device, kind in (
            (("lc-test-01/pc-01", "pc-secret-01"), "pc-01", "lab_pc"),
            (("lc-test-02", "gw-secret-02"), "gw", "gateway"),
        ):
            school = user.split("/")[0]
            client = device_client(_broker(rt), user, secret)
            body = build_report(
                school, device, kind, 1, [Sample("cpu", {"usage_percent": 1})], ts_ms=ts
            )
            client.publish(
                f"schoolnet/v1/{school}/{device}/telemetry", encode(body), qos=1
            ).wait_for_publish(5)
            client.loop_stop()
        rows = wait_until(
            lambda: (
                len(rt.store.rows('SELECT * FROM "cpu"')) == 2
                and rt.store.rows('SELECT * FROM "cpu"')
            )
        )
        tags = {r["school"]: (r["commune"], r["managing_body"], r["level"]) for r in rows}
        assert tags == {
            "lc-test-01": ("08044", "commune", "thcs"),
            "lc-test-02": ("08050", "province", "thpt"),
        }
        assert all("district" not in r for r in rows)
    finally:
        rt.close()
