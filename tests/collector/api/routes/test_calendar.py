"""The calendar over HTTP: read, replace, ask whether a school is in session; a calendar that
contradicts itself refused and the old one kept; a device's expected presence."""

from __future__ import annotations

import pytest

from schoolnet_collector.registry.models import Device
from tests.support.collector import S1, S2, bearer, make_token
from tests.support.units import assign_communes


def test_calendar_read_replace_and_school_time(rt, api):
    province = api.get("/api/v1/calendar").json()
    assert province["school_hours"]["mon"] == "07:00-17:00"
    assert any(h["name"] == "Tết Nguyên đán" for h in province["holidays"])
    own = {"school_hours": {"sat": "07:30-11:00"}, "terms": [], "holidays": []}
    r = api.put("/api/v1/calendar", params={"school": S1}, json=own)
    assert r.status_code == 200 and r.json()["school_hours"] == {"sat": "07:30-11:00"}
    r = api.get(
        "/api/v1/calendar/school-time", params={"school": S1, "at": "2026-11-28T08:00:00+07:00"}
    )
    assert r.json()["school_time"] is True
    r = api.get(
        "/api/v1/calendar/school-time", params={"school": S2, "at": "2026-11-28T08:00:00+07:00"}
    )
    assert r.json()["school_time"] is False
    assert r.json()["next_school_time"] == "2026-11-30T07:00:00+07:00"
    # The province's calendar is for province tokens; a commune's token sets its schools'.
    assign_communes(rt.sessions)
    commune = bearer(make_token(rt, scope="commune:08044", role="operator", name="xã"))
    assert api.put("/api/v1/calendar", json=own, headers=commune).status_code == 403
    assert (
        api.put("/api/v1/calendar", params={"school": S1}, json=own, headers=commune).status_code
        == 200
    )
    assert (
        api.put("/api/v1/calendar", params={"school": S2}, json=own, headers=commune).status_code
        == 404
    )


@pytest.mark.parametrize(
    "body, status, message",
    [
        (
            {"school_hours": {"mon": "17:00-07:00"}},
            409,
            "school_hours.mon: '17:00-07:00': closes before it opens",
        ),
        (
            {"terms": [{"name": "HK1", "starts": "2027-01-10", "ends": "2026-09-05"}]},
            409,
            "terms.0: ends 2026-09-05 is before starts 2027-01-10",
        ),
        ({"school_hours": {"monday": "07:00-17:00"}}, 422, "Input should be 'mon'"),
        ({"school_hours": {"mon": "7h-17h"}}, 422, "String should match pattern"),
        ({"timezone": "Asia/Bangkok"}, 422, "Asia/Ho_Chi_Minh"),
    ],
)
def test_a_wrong_calendar_is_refused_and_the_old_one_kept(api, body, status, message):
    before = api.get("/api/v1/calendar").json()
    r = api.put("/api/v1/calendar", json=body)
    assert r.status_code == status and message in r.text
    assert api.get("/api/v1/calendar").json() == before


def test_a_device_expected_presence(rt, api, clock):
    with rt.sessions() as s:
        s.add(
            Device(
                school_id=S1,
                device_id="pc-01",
                kind="lab_pc",
                first_seen=clock(),
                last_seen=clock(),
            )
        )
        s.commit()
    url = f"/api/v1/schools/{S1}/devices/pc-01/presence"
    assert api.put(url, json={"expected_presence": "school_hours"}).json() == {
        "expected_presence": "school_hours"
    }
    with rt.sessions() as s:
        assert s.get(Device, (S1, "pc-01")).expected_presence == "school_hours"
    assert api.put(url, json={"expected_presence": "sometimes"}).status_code == 422
    assert api.put(f"/api/v1/schools/{S1}/devices/pc-99/presence", json={}).status_code == 404
    assert api.put(url, json={}).json() == {"expected_presence": None}  # back to the kind's default
