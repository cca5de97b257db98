"""Device sightings survive a registry that cannot be written for a while: a device that kept
reporting must not look silent (and be alerted on) because its sightings were dropped (real
Mosquitto, InfluxDB and a SQLite registry locked by another connection)."""

from __future__ import annotations

import logging
import sqlite3
import time

from sqlalchemy import select

from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.registry.models import Device
from tests.support.collector import collector_settings, device_client, running_collector, wait_until

TOPIC = "schoolnet/v1/lc-test-01/pc-01/telemetry"


def device(rt) -> Device | None:
    with rt.sessions() as s:  # a read: WAL lets it through the other connection's lock
        return s.scalar(select(Device).where(Device.device_id == "pc-01"))


def test_sightings_wait_for_a_locked_registry(
    tmp_path, fresh_mosquitto, influxdb, influx_db_name, caplog
):
    registry = tmp_path / "registry.sqlite3"
    settings = collector_settings(
        tmp_path,
        fresh_mosquitto,
        influxdb,
        influx_db_name,
        registry={"url": f"sqlite:///{registry}?timeout=0.2"},
    )
    pc = device_client(fresh_mosquitto, "lc-test-01/pc-01", "pc-secret-01")
    caplog.set_level(logging.ERROR, logger="schoolnet.ingest")
    with running_collector(settings) as rt:
        lock = sqlite3.connect(registry, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # the registry cannot be written from here on
        try:
            now = int(time.time() * 1000)
            for seq in (1, 2, 3):
                report = build_report(
                    "lc-test-01",
                    "pc-01",
                    "lab_pc",
                    seq,
                    [Sample("cpu", {"usage_percent": 5.0})],
                    ts_ms=now + seq,
                    interval=60,
                )
                pc.publish(TOPIC, encode(report), qos=1).wait_for_publish(5)
            assert wait_until(
                lambda: (
                    sum("registry update failed" in r.getMessage() for r in caplog.records) >= 2
                ),
                timeout=15,
            )
            assert device(rt) is None
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        # No further report arrives: what was seen during the outage must be written now.
        assert wait_until(lambda: device(rt) is not None, timeout=10)
        seen = device(rt)
        assert (seen.kind, seen.last_seq, seen.interval_seconds) == ("lab_pc", 3, 60.0)
        assert rt.ingest.tracker.pending() == 0
    pc.loop_stop()


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
