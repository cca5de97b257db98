"""``/health`` on a real runtime (registry on SQLite, real InfluxDB and Mosquitto): all three
parts reported, 503 naming InfluxDB when it cannot be reached."""

from __future__ import annotations

from fastapi.testclient import TestClient

from devenv.services import free_port
from schoolnet_collector.app import create_app
from schoolnet_collector.runtime import Runtime
from tests.support.collector import (
    bearer,
    collector_settings,
    make_token,
)


def test_health_reports_all_three_parts(http):
    r = http.get("/health")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ok"
    assert body["broker"]["ok"] and body["influxdb"]["ok"] and body["registry"]["ok"]
    assert "1.6" in body["influxdb"]["detail"] and body["registry"]["detail"] == "sqlite"


def test_health_is_503_naming_influxdb_when_it_is_unreachable(
    tmp_path, mosquitto, influxdb, influx_db_name
):
    rt = Runtime.open(
        collector_settings(
            tmp_path,
            mosquitto,
            influxdb,
            influx_db_name,
            influx={"url": f"http://127.0.0.1:{free_port()}", "timeout": 1},
        )
    )
    with TestClient(create_app(rt), headers=bearer(make_token(rt))) as client:
        r = client.get("/health")
    rt.close()
    assert r.status_code == 503
    body = r.json()
    assert body["status"] == "degraded" and not body["influxdb"]["ok"] and body["broker"]["ok"]
    assert "unreachable" in body["influxdb"]["detail"]
