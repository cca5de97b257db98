"""Schools and their devices over HTTP on a real runtime: lists with filters and device counts,
last seen and the Last Will; wrong requests a clear 4xx."""

from __future__ import annotations

import pytest

from tests.support.collector import (
    publish_report,
    wait_until,
)


def test_schools_listed_with_filters_and_device_counts(http, runtime):
    client = publish_report(runtime.settings.mqtt.port)
    assert wait_until(
        lambda: http.get("/api/v1/schools").json()["items"][0]["devices"] == 1, timeout=5
    )
    page = http.get("/api/v1/schools").json()
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
        s["id"] for s in http.get("/api/v1/schools", params={"district": "sa-pa"}).json()["items"]
    ] == ["lc-test-02"]
    assert http.get("/api/v1/schools", params={"level": "thpt"}).json() == {"total": 0, "items": []}
    client.loop_stop()


def test_devices_show_last_seen_and_go_offline_on_last_will(http, runtime):
    client = publish_report(runtime.settings.mqtt.port, device="pc-02", seq=41)

    def pc02():
        found = [
            d for d in http.get("/api/v1/schools/lc-test-01/devices").json() if d["id"] == "pc-02"
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
def test_bad_requests_get_clear_4xx(http, path, status):
    r = http.get(path)
    assert r.status_code == status
    assert r.json()["detail"]
