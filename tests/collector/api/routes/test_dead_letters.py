"""Dead letters over HTTP: newest first, with filters."""

from __future__ import annotations

from tests.support.collector import (
    device_client,
    wait_until,
)


def test_dead_letters_listed_newest_first_with_filters(http, runtime):
    client = device_client(
        type("B", (), {"port": runtime.settings.mqtt.port}), "lc-test-01", "gw-secret-01"
    )
    client.publish("schoolnet/v1/lc-test-01/pc-01/telemetry", b"not json at all", qos=1)
    client.publish(
        "schoolnet/v1/lc-test-01/pc-02/telemetry", b'{"schema": 9}', qos=1
    ).wait_for_publish(5)
    letters = wait_until(
        lambda: (
            len(http.get("/api/v1/dead-letters").json()) == 2
            and http.get("/api/v1/dead-letters").json()
        ),
        timeout=5,
    )
    assert [(d["reason"], d["topic"]) for d in letters] == [
        ("wrong_version", "schoolnet/v1/lc-test-01/pc-02/telemetry"),
        ("not_json", "schoolnet/v1/lc-test-01/pc-01/telemetry"),
    ]
    assert letters[1]["payload_preview"] == "not json at all" and letters[1]["payload_bytes"] == 15
    assert [
        d["reason"] for d in http.get("/api/v1/dead-letters", params={"reason": "not_json"}).json()
    ] == ["not_json"]
    assert http.get("/api/v1/dead-letters", params={"school": "lc-test-02"}).json() == []
    assert http.get("/api/v1/dead-letters", params={"school": "x/../y"}).status_code == 422
    client.loop_stop()
