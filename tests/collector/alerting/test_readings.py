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
