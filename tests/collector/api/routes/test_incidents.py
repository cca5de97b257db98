"""The incidents API: list and filter, read with the timeline, acknowledge then resolve with who
and a note; a viewer reads but does not change; wrong requests change nothing.
(Which token sees what on every route: tests/collector/api/test_access.py.)"""

from __future__ import annotations

from schoolnet_collector.alerting import incidents
from tests.support.collector import S1, S2, bearer, make_token


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


def test_a_rules_summary_is_written_in_the_language_asked_for(rt, api, clock):
    """Stored as a message id and its arguments; ``lang`` picks the words (Vietnamese unless
    asked), the id and arguments come along for machines; a language not offered is a 422."""
    from schoolnet_collector.i18n import Pct, deferred

    with rt.sessions() as s:
        a = incidents.open_incident(
            s,
            key=f"disk_full:{S1}/pc-07",
            rule="disk_full",
            school_id=S1,
            device_id="pc-07",
            severity="warning",
            summary=deferred(
                "Disk of %(device)s nearly full: %(value)s", device="pc-07", value=Pct(0.934)
            ),
            details={"value": 93.4},
            now=clock(),
        ).id
    vi = api.get(f"/api/v1/incidents/{a}").json()
    en = api.get("/api/v1/incidents", params={"lang": "en"}).json()["items"][0]
    assert vi["summary"] == "Ổ đĩa pc-07 sắp đầy: 93%"
    assert en["summary"] == "Disk of pc-07 nearly full: 93%"
    assert en["summary_id"] == "Disk of %(device)s nearly full: %(value)s"
    assert en["summary_args"] == {"device": "pc-07", "value": {"pct": 0.934, "digits": 0}}
    assert api.get(f"/api/v1/incidents/{a}", params={"lang": "fr"}).status_code == 422
    literal = api.get(f"/api/v1/incidents/{open_incident(rt, clock)}").json()
    assert literal["summary"] == "Trường mất kết nối" and literal["summary_id"] is None
