"""Dead letters survive a registry that cannot be written for a while: they are kept until
their rows are committed, and their messages are acknowledged only then (real Mosquitto,
InfluxDB and a SQLite registry locked by another connection)."""

from __future__ import annotations

import logging
import sqlite3

from sqlalchemy import func, select

from schoolnet_collector.registry.models import DeadLetter
from tests.support.collector import collector_settings, device_client, running_collector, wait_until

TOPIC = "schoolnet/v1/lc-test-01/pc-01/telemetry"


def dead_letters(rt) -> int:
    with rt.sessions() as s:  # a read: WAL lets it through the other connection's lock
        return s.scalar(select(func.count()).select_from(DeadLetter))


def test_dead_letters_wait_for_a_locked_registry_and_their_acks_wait_for_them(
    tmp_path, fresh_mosquitto, influxdb, influx_db_name, caplog
):
    registry = tmp_path / "registry.sqlite3"
    # A short busy timeout, so a flush meeting the lock fails quickly instead of waiting 30 s.
    settings = collector_settings(
        tmp_path,
        fresh_mosquitto,
        influxdb,
        influx_db_name,
        registry={"url": f"sqlite:///{registry}?timeout=0.2"},
        ingest={"dead_letter_examples": 5},
    )
    gw = device_client(fresh_mosquitto, "lc-test-01", "gw-secret-01")
    caplog.set_level(logging.ERROR, logger="schoolnet.ingest")
    with running_collector(settings) as rt:
        lock = sqlite3.connect(registry, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # the registry cannot be written from here on
        try:
            bad = [gw.publish(TOPIC, f"not json {i}".encode(), qos=1) for i in range(5)]
            for info in bad:
                info.wait_for_publish(10)
            assert wait_until(lambda: rt.ingest.rejects.counts["not_json"] == 5)
            # The collector keeps trying to write them (a flush a second fails on the lock) ...
            assert wait_until(
                lambda: (
                    sum("registry update failed" in r.getMessage() for r in caplog.records) >= 3
                ),
                timeout=15,
            )
            # ... and none of those messages is acknowledged, none of their dead letters lost.
            assert rt.ingest.acks.acked == 0 and rt.ingest.acks.owed == 5
            assert rt.ingest.rejects.pending() == 5
            assert dead_letters(rt) == 0
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        assert wait_until(lambda: dead_letters(rt) == 5, timeout=10)
        assert wait_until(lambda: rt.ingest.acks.acked == 5 and rt.ingest.acks.owed == 0)
        assert rt.ingest.rejects.pending() == 0
        with rt.sessions() as s:
            payloads = sorted(s.scalars(select(DeadLetter.payload)))
        assert payloads == [f"not json {i}".encode() for i in range(5)]  # each once
    gw.loop_stop()
