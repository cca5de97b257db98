"""Device sightings: the upsert keeps the later time on both back-ends, and sightings survive a
registry that cannot be written for a while (a device that kept reporting must not look silent,
and be alerted on, because its sightings were dropped; real Mosquitto, InfluxDB and a SQLite
registry locked by another connection)."""

from __future__ import annotations

import logging
import sqlite3
import time
from datetime import timedelta, timezone

from sqlalchemy import select

from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.registry.db import session_factory
from schoolnet_collector.registry.devices import DeviceTracker
from schoolnet_collector.registry.models import Device
from tests.support.backends import T0, add_school
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


def test_device_sightings_upsert_keeps_the_later_time(engine):
    sessions = session_factory(engine)
    with sessions() as s:
        add_school(s)
    later, earlier = DeviceTracker(), DeviceTracker()
    later.report("lc-bx-th-001", "pc-01", "lab_pc", 5, 60, T0 + timedelta(seconds=60))
    earlier.report("lc-bx-th-001", "pc-01", "lab_pc", 4, 60, T0)
    with sessions() as s:
        later.flush(s)
        earlier.flush(s)  # a second collector flushing an older sighting afterwards
    with sessions() as s:
        device = s.get(Device, ("lc-bx-th-001", "pc-01"))
        assert device.last_seen.replace(tzinfo=timezone.utc) == T0 + timedelta(seconds=60)
        assert device.expected_presence is None
