"""Helpers for collector tests: settings pointing at the fixture services, a school file,
and a paho publisher logged in as a device."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.core.access import Scope
from schoolnet_collector.core.config import load_settings
from schoolnet_collector.registry.tokens import create_token
from schoolnet_collector.runtime import Runtime

SCHOOLS_CSV = """id,name,province,district,level,district_name
lc-test-01,Trường THCS Thử Nghiệm 1,lao-cai,bat-xat,thcs,Bát Xát
lc-test-02,Trường Tiểu học Thử Nghiệm 2,lao-cai,sa-pa,tieu_hoc,Sa Pa
"""

S1, S2 = "lc-test-01", "lc-test-02"  # two of the schools write_schools writes


def write_schools(tmp_path: Path) -> Path:
    path = tmp_path / "schools.csv"
    path.write_text(SCHOOLS_CSV, encoding="utf-8")
    return path


def collector_settings(tmp_path: Path, mosquitto, influxdb, database: str, **extra):
    mqtt_cfg = {
        "host": "127.0.0.1",
        "port": mosquitto.port,
        "username": "collector",
        "password": "collector-secret",
        "client_id": f"collector-{tmp_path.name}"[:60],
        # A share group per test: a persistent session left by an earlier test would
        # otherwise keep receiving its round-robin share of the messages.
        "share_group": f"g-{tmp_path.name}"[:60],
    }
    mqtt_cfg.update(extra.pop("mqtt", {}))
    return load_settings(
        None,
        mqtt=mqtt_cfg,
        influx={
            "url": influxdb.url,
            "database": database,
            "flush_interval": 0.1,
            **extra.pop("influx", {}),
        },
        registry={
            "url": f"sqlite:///{tmp_path}/registry.sqlite3",
            "schools_file": str(write_schools(tmp_path)),
            **extra.pop("registry", {}),
        },
        api={"port": 0},
        # The tests' reports carry fixed times of 2025: the window of ``ts`` reaches them.
        ingest={
            "data_dir": str(tmp_path / "collector-data"),
            "max_age_days": 3650,
            **extra.pop("ingest", {}),
        },
        **extra,
    )


def device_client(mosquitto, username: str, password: str) -> mqtt.Client:
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=f"test-{username.replace('/', '.')}-{time.monotonic_ns()}",
    )
    client.username_pw_set(username, password)
    client.connect("127.0.0.1", mosquitto.port)
    client.loop_start()
    return client


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def make_token(
    runtime, scope: str = "province", role: str = "viewer", name: str = "test", **kwargs
) -> str:
    """A fresh API token in the runtime's registry; returns the secret."""
    with runtime.sessions() as session:
        _, secret = create_token(
            session,
            role=role,
            scope=Scope.parse(scope),
            name=name,
            now=datetime.now(timezone.utc),
            **kwargs,
        )
    return secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def running_collector(settings):
    """An in-process collector (registry, store, ingest) subscribed and ready."""
    rt = Runtime.open(settings)
    rt.connect_store()
    rt.start_ingest()
    assert wait_until(lambda: rt.ingest.subscriber.connected), "collector did not subscribe"
    try:
        yield rt
    finally:
        rt.close()


BIN = Path(sys.executable).parent / "schoolnet-collector"


def cli(*args, env=None, cwd=None):
    """The installed ``schoolnet-collector`` run as a user would: a new process. Registering the
    commands imports nothing heavy, so a config or argument error answers in about 0.3 s; a
    command that opens (and migrates) a registry takes over a second (its tests are slow)."""
    return subprocess.run(
        [BIN, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def publish_report(port, device="pc-01", seq=1, interval=60):
    """A lab PC of lc-test-01 online (retained) with one report, through the broker at ``port``."""
    client = device_client(type("B", (), {"port": port}), "lc-test-01", "gw-secret-01")
    report = build_report(
        "lc-test-01",
        device,
        "lab_pc",
        seq,
        [Sample("cpu", {"usage_percent": 5})],
        interval=interval,
    )
    client.publish(f"schoolnet/v1/lc-test-01/{device}/availability", b"online", qos=1, retain=True)
    client.publish(
        f"schoolnet/v1/lc-test-01/{device}/telemetry", encode(report), qos=1
    ).wait_for_publish(5)
    return client
