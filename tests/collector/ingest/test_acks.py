"""At-least-once ingest against real Mosquitto and InfluxDB: a message is acknowledged only once
it is stored (InfluxDB, the durable spool, or the dead-letter store), so a collector killed at
any moment loses nothing, and replayed duplicates change no query."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from devenv.services import InfluxDB1, free_port
from schoolnet_collector.ingest.spool import spool_path
from schoolnet_collector.registry.models import DeadLetter
from tests.support.collector import (
    collector_settings,
    running_collector,
    wait_until,
    write_schools,
)
from tests.support.ingest import gateway, publish_all, report, stored_seqs
from tests.support.processes import LoggedProcess

BIN = Path(sys.executable).parent


def test_same_report_twice_is_one_point_and_query_results_do_not_change(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    with running_collector(collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)) as rt:
        gw = gateway(mosquitto)
        publish_all(gw, [report(seq) for seq in range(1, 6)])
        assert wait_until(lambda: len(stored_seqs(rt.store)) == 5)
        query = 'SELECT count(usage_percent) AS n, mean(usage_percent) AS m, sum(usage_percent) AS s FROM "cpu"'
        before = rt.store.rows(query)
        publish_all(gw, [report(seq) for seq in range(1, 6)])  # the replay of all five
        assert wait_until(lambda: rt.ingest.stats["accepted"] == 10)
        assert wait_until(lambda: rt.ingest.acks.owed == 0)
        assert rt.store.rows(query) == before
        assert stored_seqs(rt.store) == [1, 2, 3, 4, 5]
        gw.loop_stop()


class CollectorProcess(LoggedProcess):
    """``schoolnet-collector run --no-api`` as a subprocess, to be killed with -9."""

    def __init__(self, tmp_path: Path, broker, influx_url: str, database: str, **ingest):
        self.conf = tmp_path / "collector.toml"
        extra = "".join(
            f"{k} = {v!r}\n" if isinstance(v, str) else f"{k} = {v}\n" for k, v in ingest.items()
        )
        self.conf.write_text(
            f'[mqtt]\nport = {broker.port}\npassword = "collector-secret"\n'
            f'client_id = "{self.client_id(tmp_path)}"\nshare_group = ""\n'
            f'[influx]\nurl = "{influx_url}"\ndatabase = "{database}"\nflush_interval = 0.1\n'
            f'[registry]\nurl = "sqlite:///{tmp_path}/registry.sqlite3"\n'
            f'schools_file = "{write_schools(tmp_path)}"\n'
            f'[ingest]\ndata_dir = "{tmp_path}/collector-data"\nmax_age_days = 3650\n' + extra
        )
        super().__init__(
            "collector",
            [BIN / "schoolnet-collector", "run", "--no-api", "--config", self.conf],
            tmp_path / "collector.log",
        )

    @staticmethod
    def client_id(tmp_path: Path) -> str:
        return f"alo-{tmp_path.name}"[:60]


def test_collector_killed_with_unstored_messages_loses_none_and_spool_survives(
    tmp_path, fresh_mosquitto
):
    """InfluxDB dies: the collector spools (and acks) until its spool is full, then stops
    acking. Killed -9 in that state and restarted with InfluxDB back, it writes its spool and
    receives again from the broker what it never acked: every report stored exactly once."""
    influx = InfluxDB1(tmp_path / "influx").start()
    influx.create_database("alo")
    collector = CollectorProcess(
        tmp_path, fresh_mosquitto, influx.url, "alo", spool_max_bytes=1024 * 1024
    ).start()
    store = _store(influx.url, "alo")
    gw = gateway(fresh_mosquitto)
    try:
        assert wait_until(lambda: "subscribed" in collector.log.read_text(), timeout=30)
        publish_all(gw, [report(seq) for seq in range(1, 11)])
        assert wait_until(lambda: len(stored_seqs(store)) == 10, timeout=20)
        influx.kill()
        # ~12,000 reports of ~170 bytes of line protocol: about twice what a 1 MiB spool holds.
        publish_all(gw, [report(seq) for seq in range(11, 12_011)])
        assert wait_until(lambda: "spool full" in collector.log.read_text(), timeout=60)
        spool = spool_path(tmp_path / "collector-data", CollectorProcess.client_id(tmp_path))
        assert spool.stat().st_size > 0
        collector.kill()
        influx.start()
        collector.start()
        expected = list(range(1, 12_011))
        assert wait_until(lambda: stored_seqs(store) == expected, timeout=90, interval=0.5), (
            f"{len(stored_seqs(store))} of {len(expected)} stored"
        )
        assert wait_until(lambda: "spool written back" in collector.log.read_text(), timeout=10)
    finally:
        gw.loop_stop()
        collector.stop()
        influx.stop()


def test_rejected_and_store_rejected_messages_are_acked_after_their_dead_letter(
    tmp_path, fresh_mosquitto, influxdb, influx_db_name
):
    """A bad payload and a report with a field of the wrong type (left out before the write,
    the report kept) are dead-lettered once and acknowledged: a collector restarted on the
    same session does not get them again."""
    settings = collector_settings(tmp_path, fresh_mosquitto, influxdb, influx_db_name)
    gw = gateway(fresh_mosquitto)
    with running_collector(settings) as rt:
        publish_all(gw, [report(1, load1=0.5)])
        assert wait_until(lambda: stored_seqs(rt.store) == [1])
        publish_all(gw, [b"not json at all", report(2, load1="high"), report(3, load1=0.25)])
        assert wait_until(lambda: stored_seqs(rt.store) == [1, 2, 3])
        assert wait_until(
            lambda: rt.ingest.acks.owed == 0 and rt.ingest.acks.acked == 4, timeout=10
        )
        assert rt.ingest.rejects.counts == {"not_json": 1, "wrong_type": 1}
    with running_collector(settings) as again:
        time.sleep(1.5)  # the broker would re-send unacknowledged messages right after CONNACK
        assert (
            again.ingest.stats["accepted"] == 0 and sum(again.ingest.rejects.counts.values()) == 0
        )
        with again.sessions() as s:
            assert s.scalar(select(func.count()).select_from(DeadLetter)) == 2
    gw.loop_stop()


def test_messages_taken_but_not_stored_at_shutdown_are_delivered_again(
    tmp_path, fresh_mosquitto, influxdb, influx_db_name
):
    """Neither InfluxDB nor the spool takes anything: nothing is acked, and after a restart
    (InfluxDB and spool fine again) the broker delivers everything once more."""
    settings = collector_settings(tmp_path, fresh_mosquitto, influxdb, influx_db_name)
    gw = gateway(fresh_mosquitto)
    with running_collector(settings) as rt:
        rt.store.url = f"http://127.0.0.1:{free_port()}"  # InfluxDB unreachable from here on
        rt.ingest.spool.max_bytes = 0  # and a spool with no room
        publish_all(gw, [report(seq) for seq in range(1, 51)])
        assert wait_until(lambda: rt.ingest.stats["accepted"] == 50)
        time.sleep(0.5)
        assert rt.ingest.acks.acked == 0 and rt.ingest.acks.owed == 50
    with running_collector(settings) as again:
        assert wait_until(lambda: stored_seqs(again.store) == list(range(1, 51)), timeout=20)
        assert wait_until(lambda: again.ingest.acks.acked == 50)
    gw.loop_stop()


def _store(url: str, database: str):
    from schoolnet_collector.core.config import InfluxConfig
    from schoolnet_collector.storage.influx import InfluxStore

    return InfluxStore(InfluxConfig(url=url, database=database, create_database=False))
