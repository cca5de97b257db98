"""The alerting API: incidents (filter, timeline, acknowledge, resolve), contacts, maintenance
windows, the calendar and a device's expected presence; wrong requests get a clear 4xx and
change nothing. (Which token sees what on every route: test_api_access.py.)"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient

from schoolnet_collector.alerting import incidents
from schoolnet_collector.api.auth import get_clock
from schoolnet_collector.app import create_app
from schoolnet_collector.core.config import load_settings
from schoolnet_collector.registry.models import Device
from schoolnet_collector.runtime import Runtime
from tests.support.alerting import Clock
from tests.support.collector import bearer, make_token, write_schools

S1, S2 = "lc-test-01", "lc-test-02"


@pytest.fixture()
def rt(tmp_path):
    settings = load_settings(
        None,
        registry={
            "url": f"sqlite:///{tmp_path}/registry.sqlite3",
            "schools_file": str(write_schools(tmp_path)),
        },
        ingest={"data_dir": str(tmp_path / "data")},
    )
    runtime = Runtime.open(settings)
    yield runtime
    runtime.close()


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def api(rt, clock):
    app = create_app(rt)
    app.dependency_overrides[get_clock] = lambda: clock
    with TestClient(app, headers=bearer(make_token(rt, role="operator", name="so-cntt"))) as client:
        yield client


def open_incident(rt, clock, school=S1, rule="school_offline", device=None):
    with rt.sessions() as s:
        return incidents.open_incident(
            s,
            key=f"{rule}:{school}" + (f"/{device}" if device else ""),
            rule=rule,
            school_id=school,
            device_id=device,
            severity="critical" if rule == "school_offline" else "warning",
            summary="Trường mất kết nối",
            details={"devices": 4},
            now=clock(),
        ).id


def test_incidents_are_listed_filtered_and_read_with_their_timeline(rt, api, clock):
    a = open_incident(rt, clock)
    clock.advance(minutes=5)
    b = open_incident(rt, clock, S2, "disk_full", "pc-03")
    page = api.get("/api/v1/incidents").json()
    assert page["total"] == 2 and [i["id"] for i in page["items"]] == [b, a]  # newest first
    assert [
        i["id"] for i in api.get("/api/v1/incidents", params={"district": "sa-pa"}).json()["items"]
    ] == [b]
    assert [
        i["id"] for i in api.get("/api/v1/incidents", params={"school": S1}).json()["items"]
    ] == [a]
    assert (
        api.get("/api/v1/incidents", params={"rule": "disk_full", "severity": "warning"}).json()[
            "total"
        ]
        == 1
    )
    assert api.get("/api/v1/incidents", params={"state": "resolved"}).json()["total"] == 0
    one = api.get(f"/api/v1/incidents/{a}").json()
    assert one["district"] == "bat-xat" and one["details"] == {"devices": 4}
    assert one["timeline"] == [
        {
            "at": "2026-11-25T02:00:00Z",
            "kind": "opened",
            "actor": "rules",
            "note": "Trường mất kết nối",
        }
    ]


def test_acknowledge_then_resolve_with_who_and_a_note(rt, api, clock):
    a = open_incident(rt, clock)
    clock.advance(minutes=4)
    r = api.post(f"/api/v1/incidents/{a}/acknowledge", json={"note": "Cô Lan đang kiểm tra"})
    assert r.status_code == 200 and r.json()["state"] == "acknowledged"
    assert r.json()["acknowledged_by"] == "so-cntt"
    assert api.post(f"/api/v1/incidents/{a}/acknowledge", json={}).status_code == 409
    assert api.get("/api/v1/incidents", params={"state": "active"}).json()["total"] == 1
    clock.advance(minutes=30)
    api.post(f"/api/v1/incidents/{a}/notes", json={"note": "Mất điện cả xã"})
    r = api.post(f"/api/v1/incidents/{a}/resolve", json={"note": "Có điện lại"})
    assert r.status_code == 200
    body = r.json()
    assert (body["state"], body["resolved_by"], body["resolved_at"]) == (
        "resolved",
        "so-cntt",
        "2026-11-25T02:34:00Z",
    )
    assert [(e["kind"], e["actor"], e["note"]) for e in body["timeline"]] == [
        ("opened", "rules", "Trường mất kết nối"),
        ("acknowledged", "so-cntt", "Cô Lan đang kiểm tra"),
        ("note", "so-cntt", "Mất điện cả xã"),
        ("resolved", "so-cntt", "Có điện lại"),
    ]
    r = api.post(f"/api/v1/incidents/{a}/resolve", json={})
    assert r.status_code == 409 and "is resolved" in r.json()["detail"]


def test_a_viewer_may_read_but_not_change_and_other_schools_are_not_found(rt, api, clock):
    a, b = open_incident(rt, clock), open_incident(rt, clock, S2)
    viewer = bearer(make_token(rt, scope=f"school:{S1}", role="viewer", name="gv"))
    assert api.get(f"/api/v1/incidents/{a}", headers=viewer).status_code == 200
    assert (
        api.post(f"/api/v1/incidents/{a}/acknowledge", json={}, headers=viewer).status_code == 403
    )
    assert api.get(f"/api/v1/incidents/{b}", headers=viewer).status_code == 404
    assert api.get("/api/v1/incidents", headers=viewer).json()["total"] == 1
    assert api.get("/api/v1/incidents/999").status_code == 404


def test_bad_incident_requests_are_refused_and_change_nothing(rt, api, clock):
    a = open_incident(rt, clock)
    r = api.get("/api/v1/incidents", params={"state": "closed"})
    assert r.status_code == 422 and "'open', 'acknowledged', 'resolved' or 'active'" in r.text
    assert api.get("/api/v1/incidents", params={"limit": 0}).status_code == 422
    assert api.get("/api/v1/incidents/abc").status_code == 422
    assert api.post(f"/api/v1/incidents/{a}/resolve", json={"note": "x" * 2001}).status_code == 422
    assert api.post(f"/api/v1/incidents/{a}/notes", json={"note": ""}).status_code == 422
    assert api.get(f"/api/v1/incidents/{a}").json()["state"] == "open"
    assert len(api.get(f"/api/v1/incidents/{a}").json()["timeline"]) == 1


CONTACT = {
    "name": "Cô Lan",
    "role": "school_it",
    "school_id": S1,
    "email": "lan@thcs1.edu.vn",
    "telegram_chat_id": "123456789",
}


def test_contacts_crud(api):
    r = api.post("/api/v1/contacts", json=CONTACT)
    assert r.status_code == 201
    cid = r.json()["id"]
    assert r.json()["language"] == "vi" and r.json()["active"] is True
    r = api.patch(
        f"/api/v1/contacts/{cid}",
        json={"language": "en", "webhook_url": "https://hooks.example.edu.vn/x"},
    )
    assert r.status_code == 200 and r.json()["language"] == "en"
    district = api.post(
        "/api/v1/contacts",
        json={
            "name": "Phòng GD Sa Pa",
            "role": "district",
            "district": "sa-pa",
            "email": "pgd@sapa.edu.vn",
        },
    ).json()
    assert [c["id"] for c in api.get("/api/v1/contacts", params={"district": "sa-pa"}).json()] == [
        district["id"]
    ]
    assert [c["id"] for c in api.get("/api/v1/contacts", params={"school": S1}).json()] == [cid]
    assert (
        api.get(f"/api/v1/contacts/{cid}").json()["webhook_url"] == "https://hooks.example.edu.vn/x"
    )
    assert api.delete(f"/api/v1/contacts/{cid}").status_code == 204
    assert api.get(f"/api/v1/contacts/{cid}").status_code == 404
    assert len(api.get("/api/v1/contacts").json()) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"email": "lan-at-school"}, "is not an e-mail address"),
        ({"telegram_chat_id": "abc"}, "is not a Telegram chat id"),
        ({"webhook_url": "ftp://x"}, "is not an http(s) URL"),
        ({"school_id": None}, "a school_it contact needs school_id"),
        ({"role": "district"}, "a district contact needs district (and no school_id)"),
        (
            {"email": None, "telegram_chat_id": None},
            "give at least one of email, telegram_chat_id, webhook_url",
        ),
        ({"language": "fr"}, "Input should be 'vi' or 'en'"),
        ({"district": "bat-xat"}, "a school_it contact needs school_id (and no district)"),
        ({"school_id": "lc-nope"}, "school 'lc-nope' is not in the registry"),  # 404
    ],
)
def test_a_wrong_contact_is_refused_with_the_reason(api, change, message):
    r = api.post("/api/v1/contacts", json=CONTACT | change)
    assert r.status_code == (404 if "lc-nope" in str(change) else 422) and message in r.text
    assert api.get("/api/v1/contacts").json() == []


def test_a_school_token_cannot_create_a_contact_for_another_school(rt, api):
    school = bearer(make_token(rt, scope=f"school:{S1}", role="operator", name="gv"))
    assert (
        api.post("/api/v1/contacts", json=CONTACT | {"school_id": S2}, headers=school).status_code
        == 403
    )
    assert api.post("/api/v1/contacts", json=CONTACT, headers=school).status_code == 201


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
    # The province's calendar is for province tokens.
    district = bearer(make_token(rt, scope="district:bat-xat", role="operator", name="pgd"))
    assert api.put("/api/v1/calendar", json=own, headers=district).status_code == 403
    assert (
        api.put("/api/v1/calendar", params={"school": S1}, json=own, headers=district).status_code
        == 200
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
