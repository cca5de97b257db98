"""Spooled delivery through a real broker: backfill marked and paced while live reports stay
prompt, replay requests and a lost broker session answered once, a replayed duplicate landing
on the same InfluxDB point."""

from __future__ import annotations

import json
import signal
import threading
import time
import uuid

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from schoolnet_agent.config import AgentConfig, ProbeSettings
from schoolnet_agent.delivery.settings import SpoolSettings
from schoolnet_agent.delivery.spool import Spool
from schoolnet_agent.delivery.spooled import mark_backfill
from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_agent.protocol.topics import REPLAY_REQUEST
from schoolnet_agent.runner import Runner
from schoolnet_agent.settings.device import DeviceSettings, StateSettings
from schoolnet_agent.settings.mqtt import MqttSettings
from tests.support.agent_process import (
    TOPIC,
    drain,
    spool_rows,
    start_agent,
    wait_until,
    write_config,
)
from tests.support.collector import (
    collector_settings,
    device_client,
    running_collector,
    wait_until as wait_for,
)
from tests.support.mqtt import Subscriber, clear_retained

PC01 = "schoolnet/v1/lc-test-01/pc-01/"


def old_report(seq: int) -> bytes:
    return encode(
        build_report(
            "lc-test-01",
            "pc-01",
            "lab_pc",
            seq,
            [Sample("cpu", {"usage_percent": 1.0})],
            ts_ms=1_764_000_000_000 + seq,
            interval=60,
        )
    )


def config_for(port, tmp_path, **spool):
    return AgentConfig(
        DeviceSettings("lc-test-01", "pc-01", "lab_pc", 1),
        MqttSettings(
            port=port,
            username="lc-test-01/pc-01",
            password="pc-secret-01",
            reconnect_min_delay=0.1,
            reconnect_max_delay=0.5,
        ),
        ProbeSettings(enabled=["mem"]),
        StateSettings(str(tmp_path / "state")),
        spool=SpoolSettings(**spool),
    )


def run_in_thread(runner):
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    return thread


def publish_request(port, body: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"req-{uuid.uuid4().hex[:6]}")
    client.username_pw_set("collector", "collector-secret")
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        client.publish(REPLAY_REQUEST, body, qos=1, retain=True).wait_for_publish(5)
    finally:
        client.disconnect()
        client.loop_stop()


def test_backfill_mark_is_added_to_json_objects_only():
    assert json.loads(mark_backfill(b'{"seq":1}')) == {"seq": 1, "backfill": True}
    assert mark_backfill(b"online") == b"online"


def test_backfill_drains_oldest_first_at_its_pace_while_live_reports_stay_prompt(
    mosquitto, tmp_path
):
    rate, backlog = 40.0, 200
    config = config_for(mosquitto.port, tmp_path, replay_rate=rate, replay_inflight=5)
    spool = Spool(config.spool.path(config.state.directory))
    for seq in range(backlog):
        spool.add("telemetry", old_report(seq), backfill=True)
    spool.close()
    sub = Subscriber(mosquitto.port, topic=PC01 + "telemetry")
    runner = Runner(config)
    thread = run_in_thread(runner)
    try:
        backfill, live = [], []
        deadline = time.monotonic() + 20
        while len(backfill) < backlog and time.monotonic() < deadline:
            msg = sub.wait_for(PC01 + "telemetry", timeout=5)
            body = json.loads(msg.payload)
            arrived = time.time()
            (backfill if body.get("backfill") else live).append((arrived, body))
    finally:
        runner.stop()
        thread.join(10)
        sub.close()
        clear_retained(mosquitto.port, PC01 + "availability")
    assert [b["seq"] for _, b in backfill] == list(range(backlog))  # all, oldest first, once
    span = backfill[-1][0] - backfill[0][0]
    assert span >= (backlog - rate) / rate * 0.9, span  # paced: burst, then `rate` a second
    during = [(t, b) for t, b in live if t < backfill[-1][0]]
    assert len(during) >= 2, "live reports kept flowing during the drain"
    assert max(t - b["ts"] / 1000 for t, b in during) < 0.5  # and were not held back


def test_replay_request_sends_acknowledged_reports_again_once(fresh_mosquitto, tmp_path):
    broker = fresh_mosquitto
    config = write_config(tmp_path, broker.port)
    spool_file = tmp_path / "state" / "spool.db"
    sub = Subscriber(broker.port, topic=TOPIC + "telemetry")
    proc = start_agent(config, tmp_path / "agent.log")
    try:
        wait_until(
            lambda: sum(1 for _, r, a in spool_rows(spool_file) if a and "metrics" in r) >= 3,
            15,
            "3 reports acknowledged",
        )
        since = min(a for _, r, a in spool_rows(spool_file) if a and "metrics" in r)
        publish_request(broker.port, json.dumps({"id": "req-1", "since_ms": since}).encode())

        def replayed():
            return [
                json.loads(m.payload) for m in drain(sub) if json.loads(m.payload).get("backfill")
            ]

        first = wait_until(lambda: len(replayed()) >= 3 and replayed(), 10, "replayed reports")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert "replay request req-1" in (tmp_path / "agent.log").read_text()
    # Restarted, it is handed the same retained request again: already handled.
    sub.seen.clear()
    proc = start_agent(config, tmp_path / "agent.log")
    try:
        wait_until(lambda: len(list(drain(sub))) >= 3, 15, "live reports after restart")
        time.sleep(1)
        again = [json.loads(m.payload) for m in drain(sub) if json.loads(m.payload).get("backfill")]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        sub.close()
    assert {r["seq"] for r in first} and not [
        r for r in again if r["seq"] in {x["seq"] for x in first}
    ]


def test_a_lost_broker_session_makes_the_agent_send_recent_reports_again(fresh_mosquitto, tmp_path):
    """Mosquitto killed -9 and back without its persistence file: it lost our session and
    whatever it had acknowledged but not delivered; the agent notices (session_present = 0)."""
    broker = fresh_mosquitto
    config = write_config(tmp_path, broker.port)
    spool_file = tmp_path / "state" / "spool.db"
    proc = start_agent(config, tmp_path / "agent.log")
    try:
        wait_until(
            lambda: sum(1 for _, r, a in spool_rows(spool_file) if a and "metrics" in r) >= 3,
            15,
            "3 reports acknowledged",
        )
        acked = {r["seq"] for _, r, a in spool_rows(spool_file) if a and "metrics" in r}
        broker.kill()
        for f in broker.workdir.glob("*.db"):
            f.unlink()
        broker.start()
        sub = Subscriber(broker.port, topic=TOPIC + "telemetry")
        resent = wait_until(
            lambda: (
                acked
                <= {
                    json.loads(m.payload)["seq"]
                    for m in drain(sub)
                    if json.loads(m.payload).get("backfill")
                }
            ),
            20,
            "acknowledged reports sent again",
        )
        assert resent
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    assert "lost this device's session" in (tmp_path / "agent.log").read_text()
    sub.close()


def test_a_replayed_duplicate_lands_on_the_same_influxdb_point(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    with running_collector(collector_settings(tmp_path, mosquitto, influxdb, influx_db_name)) as rt:
        pc = device_client(mosquitto, "lc-test-01/pc-01", "pc-secret-01")
        live = old_report(7)
        pc.publish(PC01 + "telemetry", live, qos=1).wait_for_publish(5)
        pc.publish(PC01 + "telemetry", mark_backfill(live), qos=1).wait_for_publish(5)
        pc.publish(PC01 + "telemetry", old_report(8), qos=1).wait_for_publish(5)
        rows = wait_for(
            lambda: len(r := rt.store.rows('SELECT seq, backfill FROM "report"')) == 2 and r,
            timeout=15,
        )
        pc.loop_stop()
    assert [(r["time"], r["seq"]) for r in rows] == [
        (1_764_000_000_007, 7.0),
        (1_764_000_000_008, 8.0),
    ]
    assert rows[0]["backfill"] == 1.0
    assert len(rt.store.rows('SELECT usage_percent FROM "cpu"')) == 2
