"""The newest readings the alert rules read survive a registry that cannot be written for a
while (an uplink_changed event comes only once): kept, and written by the next flush."""

from __future__ import annotations

import sqlite3

from schoolnet_collector.registry.models import Device


def test_readings_for_the_alert_rules_wait_for_a_locked_registry(tmp_path):
    """The rules' newest readings (an uplink_changed event comes only once) are kept when the
    registry cannot be written, and written by the next flush; a newer reading wins."""
    from datetime import datetime, timezone

    from schoolnet_collector.alerting.readings import LatestReadings
    from schoolnet_collector.registry.alerting_models import DeviceReading
    from schoolnet_collector.registry.db import make_engine, migrate, session_factory
    from schoolnet_collector.registry.models import School

    registry = tmp_path / "registry.sqlite3"
    engine = make_engine(f"sqlite:///{registry}?timeout=0.2")
    migrate(engine)
    sessions = session_factory(engine)
    at = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
    with sessions.begin() as session:
        session.add(
            School(
                id="lc-test-01",
                name="THCS 1",
                province="lao-cai",
                district="bat-xat",
                level="thcs",
                updated_at=at,
            )
        )
        session.flush()  # the school's row before its device's
        session.add(
            Device(
                school_id="lc-test-01", device_id="gw", kind="gateway", first_seen=at, last_seen=at
            )
        )
    readings = LatestReadings()
    readings.note("lc-test-01", "gw", "event.uplink_changed", 1.0, at, "cellular failover")
    lock = sqlite3.connect(registry, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        with sessions() as session:
            try:
                readings.flush(session)
                raise AssertionError("the flush should have met the lock")
            except Exception as exc:  # sqlite3 "database is locked", wrapped by SQLAlchemy
                assert "locked" in str(exc)
        assert readings.pending() == 1
        readings.note("lc-test-01", "gw", "uplink.loss_percent", 3.5, at)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    with sessions() as session:
        assert readings.flush(session) == 2
        stored = {r.name: (r.value, r.text_value) for r in session.query(DeviceReading)}
    assert stored == {
        "event.uplink_changed": (1.0, "cellular failover"),
        "uplink.loss_percent": (3.5, None),
    }
    engine.dispose()


def _spool_report(dropped: object, seq: int = 1) -> bytes:
    """A lab PC's report as the agent encodes it, with its spool's counters."""
    from schoolnet_agent.protocol.payload import Sample, build_report, encode

    spool = {"pending_count": 12, "dropped_total": dropped, "quarantined_count": 0}
    cpu = Sample("cpu", {"usage_percent": 7.5})
    return encode(build_report("lc-test-01", "pc-01", "lab_pc", seq, [cpu, Sample("spool", spool)]))


TOPIC = "schoolnet/v1/lc-test-01/pc-01/telemetry"


def test_a_counter_rise_is_kept_as_a_reading_and_its_baseline_is_not():
    """``spool.dropped_total`` is cumulative: the first value sets the baseline (the collector
    may have started long after the drops), a rise is stored by how much, a fall (a new spool)
    sets the baseline again, and a 0 is read from the bytes."""
    from schoolnet_collector.alerting.readings import LatestReadings

    readings = LatestReadings(("spool.dropped_total",))
    readings.observe(TOPIC, _spool_report(40), 1_000)
    assert readings.pending() == 0  # baseline only
    readings.observe(TOPIC, _spool_report(40, 2), 2_000)
    assert readings.pending() == 0  # no rise
    readings.observe(TOPIC, _spool_report(65, 3), 3_000)
    assert readings._pending == {
        ("lc-test-01", "pc-01", "rise.spool.dropped_total"): (25.0, None, 3_000)
    }
    readings._pending.clear()
    readings.observe(TOPIC, _spool_report(0, 4), 4_000)  # a new spool: the counter restarts
    readings.observe(TOPIC, _spool_report(3, 5), 5_000)
    assert readings._pending[("lc-test-01", "pc-01", "rise.spool.dropped_total")][0] == 3.0


def test_a_hostile_counter_is_ignored_and_ingest_goes_on():
    """Not a number (text, a boolean, null) is no value and no baseline; broken JSON is counted,
    not raised: ingest already accepted the message."""
    from schoolnet_collector.alerting.readings import LatestReadings

    readings = LatestReadings(("spool.dropped_total",))
    readings.observe(TOPIC, _spool_report(10), 1)
    for seq, bad in enumerate(("lots", True, None), 2):
        readings.observe(TOPIC, _spool_report(bad, seq), seq)
    assert readings.pending() == 0
    readings.observe(TOPIC, b'{"metrics": [{"name": "spool", "fields": "dropped_total":7}', 9)
    assert readings.errors == 1
    readings.observe(TOPIC, _spool_report(11, 10), 10)  # the baseline survived the noise
    assert readings._pending[("lc-test-01", "pc-01", "rise.spool.dropped_total")][0] == 1.0


def test_a_reading_postgresql_refuses_does_not_stop_the_others(postgresql_url):
    """Finding 3: a NUL in a text value or a name longer than the column made every flush
    fail on PostgreSQL, for good. Now readings are bounded at the boundary, and one the
    database still refuses is dropped alone."""
    from datetime import datetime, timezone

    import orjson

    from schoolnet_collector.alerting.readings import LatestReadings
    from schoolnet_collector.registry.alerting_models import DeviceReading
    from schoolnet_collector.registry.db import make_engine, migrate, session_factory
    from schoolnet_collector.registry.models import School

    engine = make_engine(postgresql_url)
    migrate(engine)
    sessions = session_factory(engine)
    at = datetime(2026, 11, 24, 3, 0, tzinfo=timezone.utc)
    with sessions.begin() as session:
        session.add(
            School(
                id="lc-test-01",
                name="THCS 1",
                province="lao-cai",
                district="bat-xat",
                level="thcs",
                updated_at=at,
            )
        )
    readings = LatestReadings()
    event = {
        "schema": 1,
        "school": "lc-test-01",
        "device": "gw",
        "kind": "gateway",
        "seq": 1,
        "ts": 1764000000000,
        "events": [
            {"type": "lan_host_unknown", "data": {"mac": "aa:" * 80, "vendor": "a\x00b"}},
            {
                "type": "uplink_changed",
                "data": {"from_type": "fibre\x00", "to_type": "cellular", "reason": "failover"},
            },
        ],
    }
    readings.observe("schoolnet/v1/lc-test-01/gw/events", orjson.dumps(event), 1764000000000)
    readings.note("lc-test-01", "gw", "uplink.up", 1.0, at)
    readings.note("no-such-school", "gw", "uplink.up", 0.0, at)  # the database refuses it
    with sessions() as session:
        assert readings.flush(session) == 3
        stored = {r.name: r.text_value for r in session.query(DeviceReading)}
    assert stored["event.uplink_changed"] == "fibre >cellular failover"
    assert "uplink.up" in stored
    (mac,) = [n for n in stored if n.startswith("event.lan_host_unknown:")]
    assert len(mac) == 127 and stored[mac] == "a b"
    assert readings.dropped == 1 and readings.pending() == 0
    engine.dispose()


def _batch_item(ts: int, seq: int, **uplink: object) -> dict:
    from schoolnet_agent.protocol.payload import Sample, build_report

    return build_report("lc-test-01", "gw", "gateway", seq, [Sample("uplink", uplink)], ts, 300)


BATCH_TOPIC = "schoolnet/v1/lc-test-01/gw/batch"


def test_batch_reports_are_noted_at_their_own_time_and_the_newest_wins():
    """A batch's reports are noted at their ``ts``, in any order of arrival: the newest wins;
    a ``ts`` after the arrival (a device clock ahead) counts as the arrival."""
    from schoolnet_collector.alerting.readings import LatestReadings

    readings = LatestReadings(())
    key = ("lc-test-01", "gw", "uplink.up")
    readings.observe_reports(
        BATCH_TOPIC,
        [("telemetry", _batch_item(1_000, 1, up=1)), ("telemetry", _batch_item(2_000, 2, up=0))],
        received_ms=9_000,
    )
    assert readings._pending[key] == (0.0, None, 2_000)
    readings.observe_reports(BATCH_TOPIC, [("telemetry", _batch_item(1_500, 3, up=1))], 9_500)
    assert readings._pending[key] == (0.0, None, 2_000)  # late: covered by the newer one
    readings.observe_reports(BATCH_TOPIC, [("telemetry", _batch_item(99_000, 4, up=1))], 10_000)
    assert readings._pending[key] == (1.0, None, 10_000)  # from the future: at its arrival
    events = {
        "schema": 1,
        "school": "lc-test-01",
        "device": "gw",
        "kind": "gateway",
        "seq": 5,
        "ts": 10_500,
        "events": [{"type": "uplink_changed", "data": {"from_type": "fibre", "to_type": "3g"}}],
    }
    readings.observe_reports(BATCH_TOPIC, [("events", events)], 11_000)
    assert readings._pending[("lc-test-01", "gw", "event.uplink_changed")][2] == 10_500
    assert readings.errors == 0


def test_a_late_counter_value_is_no_rise_and_a_late_backfill_overwrites_nothing():
    """A counter value older than the last one seen says nothing about a rise (40 → late 5 →
    40 would otherwise be a rise of 35); a lone report marked backfill is late too."""
    from schoolnet_agent.protocol.payload import Sample, build_report, encode
    from schoolnet_collector.alerting.readings import LatestReadings

    def spool(ts: int, seq: int, dropped: int) -> dict:
        s = Sample("spool", {"pending_count": 1, "dropped_total": dropped, "quarantined_count": 0})
        return build_report("lc-test-01", "pc-01", "lab_pc", seq, [s], ts)

    readings = LatestReadings(("spool.dropped_total",))
    pc_batch = "schoolnet/v1/lc-test-01/pc-01/batch"
    readings.observe_reports(pc_batch, [("telemetry", spool(2_000, 1, 40))], 3_000)
    readings.observe_reports(pc_batch, [("telemetry", spool(1_000, 2, 5))], 3_100)
    readings.observe_reports(pc_batch, [("telemetry", spool(2_500, 3, 40))], 3_200)
    assert readings.pending() == 0
    readings.observe_reports(pc_batch, [("telemetry", spool(2_600, 4, 42))], 3_300)
    assert readings._pending == {
        ("lc-test-01", "pc-01", "rise.spool.dropped_total"): (2.0, None, 2_600)
    }

    live = LatestReadings(())
    topic = "schoolnet/v1/lc-test-01/gw/telemetry"
    live.observe(topic, encode(_batch_item(5_000, 1, up=1)), 5_000)
    old = _batch_item(1_000, 2, up=0)
    old["backfill"] = True
    live.observe(topic, encode(old), 6_000)
    assert live._pending[("lc-test-01", "gw", "uplink.up")] == (1.0, None, 5_000)


def test_hostile_batch_reports_cost_a_count_not_ingest():
    """Reports ingest would never hand over (no ``ts``, a text ``ts``, a list for metrics)
    are noted at arrival or counted as errors, and never raise."""
    from schoolnet_collector.alerting.readings import LatestReadings

    readings = LatestReadings(("spool.dropped_total",))
    no_ts = _batch_item(1, 1, up=0)
    del no_ts["ts"]
    text_ts = _batch_item(1, 2, up=0) | {"ts": "soon"}
    readings.observe_reports(BATCH_TOPIC, [("telemetry", no_ts), ("telemetry", text_ts)], 7_000)
    assert readings._pending[("lc-test-01", "gw", "uplink.up")] == (0.0, None, 7_000)
    readings.observe_reports(BATCH_TOPIC, [("telemetry", {"metrics": "lots"})], 8_000)
    readings.observe_reports("not/a/topic", [], 8_000)
    assert readings.errors == 2
