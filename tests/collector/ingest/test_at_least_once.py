"""At-least-once ingest against real Mosquitto and InfluxDB: a message is acknowledged only once
it is stored (InfluxDB, the durable spool, or the dead-letter store), so a collector killed at
any moment loses nothing; replayed duplicates change no query; replay requests name the
checkpoint; the broker's in-flight cap does not throttle the collector."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from devenv.services import InfluxDB1, Mosquitto, free_port
from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_agent.protocol.topics import REPLAY_REQUEST
from schoolnet_collector.core.config import ConfigError, load_settings
from schoolnet_collector.ingest.checkpoint import MARK, Checkpoint
from schoolnet_collector.ingest.spool import Spool, SpoolError, spool_path
from schoolnet_collector.registry.models import DeadLetter
from tests.support.accounts import COLLECTOR, DEVICE_ACCOUNTS, SIMULATOR
from tests.support.collector import (
    collector_settings,
    device_client,
    running_collector,
    wait_until,
    write_schools,
)
from tests.support.processes import LoggedProcess

BIN = Path(sys.executable).parent
T0 = 1_764_000_000_000
TOPIC = "schoolnet/v1/lc-test-01/pc-01/telemetry"


def report(seq: int, device: str = "pc-01", ts: int | None = None, **fields):
    samples = [Sample("cpu", {"usage_percent": 10.0 + seq % 7, **fields})]
    return encode(
        build_report(
            "lc-test-01",
            device,
            "lab_pc",
            seq,
            samples,
            ts_ms=ts if ts is not None else T0 + seq * 1000,
            interval=60,
        )
    )


def gateway(broker):
    return device_client(broker, "lc-test-01", "gw-secret-01")


def publish_all(client, payloads, topic=TOPIC):
    infos = [client.publish(topic, p, qos=1) for p in payloads]
    for info in infos:
        info.wait_for_publish(10)


def stored_seqs(store, device="pc-01") -> list[int]:
    return [
        int(r["seq"]) for r in store.rows(f"SELECT seq FROM \"report\" WHERE device = '{device}'")
    ]


# -- idempotent writes ------------------------------------------------------------------------


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


# -- acks follow storage ------------------------------------------------------------------------


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
            f'[ingest]\ndata_dir = "{tmp_path}/collector-data"\n' + extra
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
    """A bad payload and a report InfluxDB refuses (a field's type changed) are dead-lettered
    once and acknowledged: a collector restarted on the same session does not get them again."""
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
        assert rt.ingest.rejects.counts == {"not_json": 1, "store_rejected": 1}
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


def delivered(rt) -> int:
    return len(rt.ingest.inbox) + rt.ingest.acks.owed


def test_receive_maximum_lifts_the_brokers_in_flight_cap(tmp_path, influxdb, influx_db_name):
    """With acks held until storage, Mosquitto's cap of 20 in flight would stall ingest; the
    collector's MQTT v5 Receive Maximum is honoured instead: 300 unacknowledged messages reach
    it at once."""
    broker = Mosquitto(
        tmp_path / "capped", [COLLECTOR, SIMULATOR, *DEVICE_ACCOUNTS], max_inflight_messages=20
    ).start()  # Mosquitto's default
    try:
        settings = collector_settings(tmp_path, broker, influxdb, influx_db_name)
        with running_collector(settings) as rt:
            rt.ingest.spool.max_bytes = 0
            rt.store.url = f"http://127.0.0.1:{free_port()}"
            gw = gateway(broker)
            publish_all(gw, [report(seq) for seq in range(1, 301)])
            # Delivered and unacknowledged: waiting in the inbox or taken from it and owed (how
            # far conversion got depends on how the arrivals were batched, not on the broker).
            assert wait_until(lambda: delivered(rt) == 300, timeout=10), delivered(rt)
            assert rt.ingest.acks.acked == 0
            gw.loop_stop()
        capped = collector_settings(
            tmp_path,
            broker,
            influxdb,
            influx_db_name,
            mqtt={"receive_maximum": 20, "client_id": "capped-20", "share_group": "capped-20"},
            ingest={"data_dir": str(tmp_path / "capped-data")},
        )
        with running_collector(capped) as rt:
            rt.ingest.spool.max_bytes = 0
            rt.store.url = f"http://127.0.0.1:{free_port()}"
            gw = gateway(broker)
            publish_all(gw, [report(seq) for seq in range(1, 101)])
            time.sleep(1.0)
            assert delivered(rt) == 20  # the control: the window is the limit
            gw.loop_stop()
    finally:
        broker.stop()


# -- replay requests -------------------------------------------------------------------------


def test_connect_publishes_a_retained_replay_request_from_the_checkpoint(
    tmp_path, fresh_mosquitto, influxdb, influx_db_name
):
    settings = collector_settings(
        tmp_path, fresh_mosquitto, influxdb, influx_db_name, mqtt={"replay_margin_seconds": 30}
    )
    with running_collector(settings) as rt:
        assert rt.ingest.subscriber.replay_requests == 0  # a new data dir: no gap to fill
    spool = Spool(spool_path(tmp_path / "collector-data", settings.mqtt.client_id), 1024**2)
    spool.set_mark(MARK, T0)
    spool.close()
    with running_collector(settings) as rt:
        assert wait_until(lambda: rt.ingest.subscriber.replay_requests == 1)
    received = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="agent-side")
    c.username_pw_set("lc-test-01/pc-01", "pc-secret-01")  # agents may read control topics
    c.on_message = lambda cl, u, m: received.append((m.retain, json.loads(m.payload)))
    c.connect("127.0.0.1", fresh_mosquitto.port)
    c.subscribe(REPLAY_REQUEST, qos=1)
    c.loop_start()
    assert wait_until(lambda: received)
    retained, body = received[0]
    assert retained and body["since_ms"] == T0 - 30_000 and len(body["id"]) == 32
    c.loop_stop()


def test_checkpoint_advances_only_while_the_broker_cannot_hold_older_messages(tmp_path):
    now = [1000.0]
    spool = Spool(tmp_path / "s.sqlite3", 1024**2)
    cp = Checkpoint(spool, window=100, settle_seconds=2.0, clock=lambda: now[0])
    assert cp.tick(None, 0) is None  # never connected
    cp.connected()
    now[0] += 1
    assert cp.tick(None, 0) is None  # still settling: a resumed backlog may follow
    now[0] += 2
    assert cp.tick(None, 0) == 1_003_000  # caught up: now
    now[0] += 1
    assert cp.tick(1_003_500, 10) == 1_003_500  # the oldest message not yet stored
    now[0] += 1
    assert cp.tick(1_004_900, 60) == 1_003_500  # at half the window: broker may be holding back
    cp.disconnected()
    now[0] += 10
    assert cp.tick(None, 0) == 1_003_500  # away: the broker may queue (and lose)
    spool.close()
    again = Checkpoint(Spool(tmp_path / "s.sqlite3", 1024**2), window=100)
    assert again.value == 1_003_500 and again.replay_since(120) == 1_003_500 - 120_000


# -- the spool -----------------------------------------------------------------------------


def test_spool_keeps_order_and_bound_across_reopen(tmp_path):
    path = tmp_path / "spool.sqlite3"
    spool = Spool(path, max_bytes=1024 * 1024)
    assert spool.append(["a 1", "b 2"]) and spool.append(["c 3"])
    assert not spool.append(["x" * (1024 * 1024)])  # over the bound: refused, nothing stored
    spool.close()
    spool = Spool(path, max_bytes=1024 * 1024)
    assert (spool.batches, spool.lines) == (2, 3)
    first_id, first = spool.oldest()
    assert first == ["a 1", "b 2"]
    spool.remove(first_id)
    assert spool.oldest()[1] == ["c 3"] and spool.bytes == 3


def test_unusable_spool_is_a_clear_error(tmp_path):
    bad = tmp_path / "spool.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(SpoolError, match=r"spool.sqlite3"):
        Spool(bad, 1024 * 1024)


@pytest.mark.parametrize(
    "conf, message",
    [
        (
            "[mqtt]\nreceive_maximum = 0\n",
            "mqtt.receive_maximum: Input should be greater than or equal to 1",
        ),
        (
            "[mqtt]\nreceive_maximum = 70000\n",
            "mqtt.receive_maximum: Input should be less than or equal to 65535",
        ),
        (
            "[mqtt]\nreceive_maximum = 5000\n[ingest]\nqueue_size = 1000\n",
            "mqtt.receive_maximum (5000) must not exceed ingest.queue_size (1000)",
        ),
        (
            "[mqtt]\nsession_expiry_seconds = 5\n",
            "mqtt.session_expiry_seconds: Input should be greater than or equal to 60",
        ),
        (
            "[mqtt]\nreplay_margin_seconds = -1\n",
            "mqtt.replay_margin_seconds: Input should be greater than or equal to 0",
        ),
        (
            "[ingest]\nspool_max_bytes = 10\n",
            "ingest.spool_max_bytes: Input should be greater than or equal to 1048576",
        ),
    ],
)
def test_wrong_at_least_once_settings_are_named(tmp_path, conf, message):
    path = tmp_path / "collector.toml"
    path.write_text(conf)
    with pytest.raises(ConfigError, match=_escape(message)):
        load_settings(path)
    result = subprocess.run(
        [BIN / "schoolnet-collector", "run", "--config", path],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and message in result.stderr


def test_data_dir_that_is_a_file_is_named(tmp_path):
    afile = tmp_path / "not-a-dir"
    afile.write_text("x")
    with pytest.raises(ConfigError, match=r"ingest.data_dir: .*exists and is not a directory"):
        load_settings(None, ingest={"data_dir": str(afile)})


def test_damaged_spool_stops_the_start_with_a_clear_error(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    settings = collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)
    path = spool_path(settings.ingest.data_dir, settings.mqtt.client_id)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage" * 1000)
    conf = tmp_path / "c.toml"
    conf.write_text(
        f'[mqtt]\nport = {mosquitto.port}\npassword = "collector-secret"\n'
        f'client_id = "{settings.mqtt.client_id}"\n'
        f'[influx]\nurl = "{influxdb.url}"\ndatabase = "{influx_db_name}"\n'
        f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n'
        f'[ingest]\ndata_dir = "{settings.ingest.data_dir}"\n'
    )
    result = subprocess.run(
        [BIN / "schoolnet-collector", "run", "--no-api", "--config", conf],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert str(path) in result.stderr and "check ingest.data_dir" in result.stderr


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def _store(url: str, database: str):
    from schoolnet_collector.core.config import InfluxConfig
    from schoolnet_collector.storage.influx import InfluxStore

    return InfluxStore(InfluxConfig(url=url, database=database, create_database=False))
