"""The HTTP API on a real runtime: registry on SQLite, real InfluxDB and Mosquitto."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from devenv.services import free_port
from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.app import create_app
from schoolnet_collector.runtime import Runtime
from tests.support.collector import (
    bearer,
    collector_settings,
    device_client,
    make_token,
    running_collector,
    wait_until,
)


@pytest.fixture()
def runtime(tmp_path, fresh_mosquitto, influxdb, influx_db_name):
    """A broker of the test's own: no retained availability left by other tests."""
    with running_collector(
        collector_settings(tmp_path, fresh_mosquitto, influxdb, influx_db_name)
    ) as rt:
        yield rt


@pytest.fixture()
def api(runtime):
    """A client with a province token, as the planners' scripts and Grafana use the API."""
    with TestClient(create_app(runtime), headers=bearer(make_token(runtime))) as client:
        yield client


def publish_report(port, device="pc-01", seq=1, interval=60):
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


def test_health_reports_all_three_parts(api):
    r = api.get("/health")
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


def test_schools_listed_with_filters_and_device_counts(api, runtime):
    client = publish_report(runtime.settings.mqtt.port)
    assert wait_until(
        lambda: api.get("/api/v1/schools").json()["items"][0]["devices"] == 1, timeout=5
    )
    page = api.get("/api/v1/schools").json()
    assert page["total"] == 2
    first = page["items"][0]
    assert (first["id"], first["name"], first["district"], first["level"]) == (
        "lc-test-01",
        "Trường THCS Thử Nghiệm 1",
        "bat-xat",
        "thcs",
    )
    assert (first["devices"], first["devices_online"]) == (1, 1)
    assert [
        s["id"] for s in api.get("/api/v1/schools", params={"district": "sa-pa"}).json()["items"]
    ] == ["lc-test-02"]
    assert api.get("/api/v1/schools", params={"level": "thpt"}).json() == {"total": 0, "items": []}
    client.loop_stop()


def test_devices_show_last_seen_and_go_offline_on_last_will(api, runtime):
    client = publish_report(runtime.settings.mqtt.port, device="pc-02", seq=41)

    def pc02():
        found = [
            d for d in api.get("/api/v1/schools/lc-test-01/devices").json() if d["id"] == "pc-02"
        ]
        return found[0] if found else None

    d = wait_until(pc02, timeout=5)
    assert (d["id"], d["kind"], d["last_seq"], d["online"], d["availability"]) == (
        "pc-02",
        "lab_pc",
        41,
        True,
        "online",
    )
    # What the broker publishes when the device's Last Will fires:
    client.publish(
        "schoolnet/v1/lc-test-01/pc-02/availability", b"offline", qos=1, retain=True
    ).wait_for_publish(5)
    assert wait_until(lambda: pc02()["online"] is False, timeout=5)
    assert pc02()["availability"] == "offline"
    client.loop_stop()


@pytest.mark.parametrize(
    "path,status",
    [
        ("/api/v1/schools/lc-nowhere/devices", 404),
        ("/api/v1/schools?limit=0", 422),
        ("/api/v1/schools?limit=abc", 422),
        ("/api/v1/schools?offset=-1", 422),
        ("/api/v1/schools?district=" + "x" * 100, 422),
        ("/api/v1/nothing-here", 404),
    ],
)
def test_bad_requests_get_clear_4xx(api, path, status):
    r = api.get(path)
    assert r.status_code == status
    assert r.json()["detail"]


def test_openapi_documents_every_route_with_response_models(api):
    spec = api.get("/openapi.json").json()
    for path in (
        "/health",
        "/api/v1/schools",
        "/api/v1/schools/{school_id}/devices",
        "/api/v1/dead-letters",
    ):
        op = spec["paths"][path]["get"]
        assert "200" in op["responses"], path
        assert "$ref" in str(op["responses"]["200"]["content"]["application/json"]["schema"]), path
    assert {"SchoolOut", "DeviceOut", "Health", "DeadLetterOut"} <= set(
        spec["components"]["schemas"]
    )


def test_dead_letters_listed_newest_first_with_filters(api, runtime):
    client = device_client(
        type("B", (), {"port": runtime.settings.mqtt.port}), "lc-test-01", "gw-secret-01"
    )
    client.publish("schoolnet/v1/lc-test-01/pc-01/telemetry", b"not json at all", qos=1)
    client.publish(
        "schoolnet/v1/lc-test-01/pc-02/telemetry", b'{"schema": 9}', qos=1
    ).wait_for_publish(5)
    letters = wait_until(
        lambda: (
            len(api.get("/api/v1/dead-letters").json()) == 2
            and api.get("/api/v1/dead-letters").json()
        ),
        timeout=5,
    )
    assert [(d["reason"], d["topic"]) for d in letters] == [
        ("wrong_version", "schoolnet/v1/lc-test-01/pc-02/telemetry"),
        ("not_json", "schoolnet/v1/lc-test-01/pc-01/telemetry"),
    ]
    assert letters[1]["payload_preview"] == "not json at all" and letters[1]["payload_bytes"] == 15
    assert [
        d["reason"] for d in api.get("/api/v1/dead-letters", params={"reason": "not_json"}).json()
    ] == ["not_json"]
    assert api.get("/api/v1/dead-letters", params={"school": "lc-test-02"}).json() == []
    assert api.get("/api/v1/dead-letters", params={"school": "x/../y"}).status_code == 422
    client.loop_stop()
