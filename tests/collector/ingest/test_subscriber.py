"""The collector's MQTT session: its Receive Maximum lifts the broker's in-flight cap, and every
connection publishes a retained replay request from the checkpoint."""

from __future__ import annotations

import json
import time

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devenv.services import Mosquitto, free_port
from schoolnet_agent.protocol.topics import REPLAY_REQUEST
from schoolnet_collector.ingest.checkpoint import MARK
from schoolnet_collector.ingest.spool import Spool, spool_path
from tests.support.accounts import COLLECTOR, DEVICE_ACCOUNTS, SIMULATOR
from tests.support.collector import (
    collector_settings,
    running_collector,
    wait_until,
)
from tests.support.ingest import T0, gateway, publish_all, report


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
