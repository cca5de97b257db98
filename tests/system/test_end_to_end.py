"""The whole path with real processes: `schoolnet-agent run` → Mosquitto (ACL) →
`schoolnet-collector run` → InfluxDB, and the HTTP API over a real socket."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devenv.services import free_port, wait_for_port
from schoolnet_collector.core.config import InfluxConfig
from schoolnet_collector.storage.influx import InfluxStore
from tests.support.collector import wait_until, write_schools

BIN = Path(sys.executable).parent
KEEPALIVE = 2


class Recorder:
    """A second subscriber (collector login, no share group) that keeps what the agent sent."""

    def __init__(self, port: int):
        self.messages: dict[str, list[bytes]] = {}
        self.lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"recorder-{port}")
        self.client.username_pw_set("collector", "collector-secret")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe("schoolnet/v1/lc-test-01/#", qos=1)
        self.client.loop_start()

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages.setdefault(msg.topic, []).append(msg.payload)

    def last(self, topic: str) -> bytes | None:
        with self.lock:
            return (self.messages.get(topic) or [None])[-1]

    def close(self):
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture()
def system(tmp_path, fresh_mosquitto, influxdb, influx_db_name):
    api_port = free_port()
    conf = tmp_path / "collector.toml"
    conf.write_text(
        f'[mqtt]\nport = {fresh_mosquitto.port}\npassword = "collector-secret"\n'
        f'[influx]\nurl = "{influxdb.url}"\ndatabase = "{influx_db_name}"\nflush_interval = 0.1\n'
        f'[registry]\nurl = "sqlite:///{tmp_path}/registry.sqlite3"\n'
        f'schools_file = "{write_schools(tmp_path)}"\n[api]\nport = {api_port}\n'
        f'[ingest]\ndata_dir = "{tmp_path}/collector-data"\n'
    )
    # The token the way an operator makes one: the CLI, printed once on stdout.
    token = subprocess.run(
        [
            BIN / "schoolnet-collector",
            "token",
            "create",
            "--config",
            conf,
            "--role",
            "viewer",
            "--scope",
            "province",
            "--name",
            "e2e",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    log = open(tmp_path / "collector.log", "wb")
    collector = subprocess.Popen(
        [BIN / "schoolnet-collector", "run", "--config", conf], stdout=log, stderr=subprocess.STDOUT
    )
    wait_for_port(api_port, timeout=30, proc=collector)
    recorder = Recorder(fresh_mosquitto.port)
    agent_conf = tmp_path / "agent.toml"
    agent_conf.write_text(
        '[device]\nschool = "lc-test-01"\nid = "pc-01"\nkind = "lab_pc"\ninterval_seconds = 1\n'
        f'[mqtt]\nport = {fresh_mosquitto.port}\npassword = "pc-secret-01"\nkeepalive = {KEEPALIVE}\n'
        f'[state]\ndirectory = "{tmp_path / "agent-state"}"\n'
    )
    agent = subprocess.Popen(
        [BIN / "schoolnet-agent", "run", "--config", agent_conf],
        stdout=open(tmp_path / "agent.log", "wb"),
        stderr=subprocess.STDOUT,
    )
    store = InfluxStore(InfluxConfig(url=influxdb.url, database=influx_db_name))
    yield {
        "api": f"http://127.0.0.1:{api_port}",
        "token": token,
        "agent": agent,
        "store": store,
        "recorder": recorder,
        "tmp": tmp_path,
    }
    for proc in (agent, collector):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)
    recorder.close()


def get_json(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as r:
        return json.loads(r.read())


def test_agent_report_reaches_influxdb_with_exact_values_and_tags(system):
    store, recorder = system["store"], system["recorder"]
    topic = "schoolnet/v1/lc-test-01/pc-01/telemetry"
    assert wait_until(lambda: recorder.last(topic), timeout=15), "agent published nothing"
    sent = json.loads(recorder.last(topic))
    ts = sent["ts"]
    assert wait_until(lambda: store.rows(f'SELECT * FROM "report" WHERE time = {ts}ms'), timeout=10)
    (report,) = store.rows(f'SELECT * FROM "report" WHERE time = {ts}ms')
    assert report["seq"] == float(sent["seq"]) and report["interval_seconds"] == 1.0
    assert {
        k: report[k]
        for k in ("province", "commune", "managing_body", "level", "school", "device", "kind")
    } == {
        "province": "lao-cai",
        "commune": "unassigned",
        "managing_body": "commune",
        "level": "thcs",
        "school": "lc-test-01",
        "device": "pc-01",
        "kind": "lab_pc",
    }
    checked = 0
    for metric in sent["metrics"]:
        where = f"time = {ts}ms AND \"device\" = 'pc-01'"
        if "instance" in metric:
            where += f" AND \"instance\" = '{metric['instance']}'"
        rows = store.rows(f'SELECT * FROM "{metric["name"]}" WHERE {where}')
        assert len(rows) == 1, metric["name"]
        for field, value in metric["fields"].items():
            expected = (
                float(value)
                if isinstance(value, (int, float)) and not isinstance(value, bool)
                else value
            )
            assert rows[0][field] == expected, (metric["name"], field)
            checked += 1
    assert checked >= 15  # cpu, mem, disk, net, system at least


def test_kill_9_agent_goes_offline_within_one_and_a_half_keepalives(system):
    recorder, agent, api = system["recorder"], system["agent"], system["api"]
    avail = "schoolnet/v1/lc-test-01/pc-01/availability"
    assert wait_until(lambda: recorder.last(avail) == b"online", timeout=15)

    def device():
        found = [
            d
            for d in get_json(f"{api}/api/v1/schools/lc-test-01/devices", system["token"])
            if d["id"] == "pc-01"
        ]
        return found[0] if found else None

    assert wait_until(lambda: (device() or {}).get("online"), timeout=10)
    os.kill(agent.pid, signal.SIGKILL)
    killed = time.monotonic()
    assert wait_until(lambda: recorder.last(avail) == b"offline", timeout=3 * KEEPALIVE)
    took = time.monotonic() - killed
    assert took <= 1.5 * KEEPALIVE, f"offline after {took:.1f}s"
    assert wait_until(lambda: device()["online"] is False, timeout=5)
    assert device()["availability"] == "offline"
    health = get_json(f"{api}/health", system["token"])
    assert health["status"] == "ok" and health["ingest"]["accepted"] >= 2
