"""Maintenance windows over HTTP: created, listed and deleted; a wrong one refused with the
reason; one for a school out of scope not found."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from tests.support.collector import S1, S2, bearer, make_token


def test_maintenance_windows(api, clock):
    body = {
        "school_id": S1,
        "starts_at": "2026-11-28T07:00:00+07:00",
        "duration_minutes": 270,
        "reason": "Thay bộ định tuyến",
    }
    r = api.post("/api/v1/maintenance", json=body)
    assert r.status_code == 201
    window = r.json()
    assert window["created_by"] == "so-cntt" and window["ends_at"] == "2026-11-28T04:30:00Z"
    assert [w["id"] for w in api.get("/api/v1/maintenance", params={"current": True}).json()] == [
        window["id"]
    ]
    clock.now = datetime(2026, 11, 29, tzinfo=timezone.utc)
    assert api.get("/api/v1/maintenance", params={"current": True}).json() == []
    assert len(api.get("/api/v1/maintenance", params={"school": S1}).json()) == 1
    assert api.delete(f"/api/v1/maintenance/{window['id']}").status_code == 204
    assert api.delete(f"/api/v1/maintenance/{window['id']}").status_code == 404


@pytest.mark.parametrize(
    "change, message",
    [
        ({"starts_at": "2026-11-28T07:00:00"}, "Input should have timezone info"),
        ({"duration_minutes": 0}, "greater than or equal to 1"),
        ({"duration_minutes": 120 * 1440 + 1}, "less than or equal to 172800"),
        ({"reason": ""}, "at least 1 character"),
        ({"starts_at": "9999-12-31T20:00:00-05:00"}, "outside the years a calendar can hold"),
    ],
)
def test_a_wrong_maintenance_window_is_refused(api, change, message):
    body = {
        "school_id": S1,
        "starts_at": "2026-11-28T07:00:00+07:00",
        "duration_minutes": 270,
        "reason": "x",
    } | change
    r = api.post("/api/v1/maintenance", json=body)
    assert r.status_code == 422 and message in r.text
    assert api.get("/api/v1/maintenance").json() == []


def test_a_window_for_a_school_out_of_scope_is_not_found(rt, api):
    school = bearer(make_token(rt, scope=f"school:{S1}", role="operator", name="gv"))
    r = api.post(
        "/api/v1/maintenance",
        headers=school,
        json={
            "school_id": S2,
            "starts_at": "2026-11-28T07:00:00+07:00",
            "duration_minutes": 60,
            "reason": "x",
        },
    )
    assert r.status_code == 404
