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
