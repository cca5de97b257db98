"""The contacts API: create, read, change, delete; a wrong contact refused with the reason; a
school token cannot create one for another school."""

from __future__ import annotations

import pytest

from tests.support.collector import S1, S2, bearer, make_token
from tests.support.units import assign_communes

CONTACT = {
    "name": "Cô Lan",
    "role": "school_it",
    "school_id": S1,
    "email": "lan@thcs1.edu.vn",
    "telegram_chat_id": "123456789",
}


def test_contacts_crud(rt, api):
    assign_communes(rt.sessions)
    r = api.post("/api/v1/contacts", json=CONTACT)
    assert r.status_code == 201
    cid = r.json()["id"]
    assert r.json()["language"] == "vi" and r.json()["active"] is True
    r = api.patch(
        f"/api/v1/contacts/{cid}",
        json={"language": "en", "webhook_url": "https://hooks.example.edu.vn/x"},
    )
    assert r.status_code == 200 and r.json()["language"] == "en"
    office = api.post(
        "/api/v1/contacts",
        json={
            "name": "Phòng VH-XH Sa Pa",
            "role": "commune",
            "commune": "08050",
            "email": "vhxh@sapa.gov.vn",
        },
    ).json()
    # The commune filter finds its office and the IT teachers of its schools (S2 has none).
    assert [c["id"] for c in api.get("/api/v1/contacts", params={"commune": "08050"}).json()] == [
        office["id"]
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
        ({"role": "commune"}, "a commune contact needs commune (and no school_id)"),
        ({"role": "district"}, "the district role ended with the district education offices"),
        (
            {"email": None, "telegram_chat_id": None},
            "give at least one of email, telegram_chat_id, webhook_url",
        ),
        ({"language": "fr"}, "Input should be 'vi' or 'en'"),
        ({"commune": "08044"}, "a school_it contact needs school_id (and no commune)"),
        ({"school_id": "lc-nope"}, "school 'lc-nope' is not in the registry"),  # 404
        (
            {"role": "commune", "school_id": None, "commune": "99999"},
            "commune '99999' is not in the registry",
        ),  # 404
    ],
)
def test_a_wrong_contact_is_refused_with_the_reason(api, change, message):
    r = api.post("/api/v1/contacts", json=CONTACT | change)
    assert r.status_code == (404 if "not in the registry" in message else 422), r.text
    assert message in r.text
    assert api.get("/api/v1/contacts").json() == []


def test_a_commune_token_manages_its_office_and_its_schools_only(rt, api):
    assign_communes(rt.sessions)
    commune = bearer(make_token(rt, scope="commune:08044", role="operator", name="xã"))
    office = {"name": "Phòng VH-XH", "role": "commune", "email": "vhxh@batxat.gov.vn"}
    mine = api.post("/api/v1/contacts", json=office | {"commune": "08044"}, headers=commune)
    assert mine.status_code == 201
    other = api.post("/api/v1/contacts", json=office | {"commune": "08050"}, headers=commune)
    assert other.status_code == 403
    so = {"name": "Sở", "role": "province", "email": "cntt@so.edu.vn"}
    assert api.post("/api/v1/contacts", json=so, headers=commune).status_code == 403
    assert api.post("/api/v1/contacts", json=CONTACT, headers=commune).status_code == 201
    theirs = CONTACT | {"school_id": S2, "name": "Thầy Nam"}
    assert api.post("/api/v1/contacts", json=theirs, headers=commune).status_code == 403
    assert api.post("/api/v1/contacts", json=theirs).status_code == 201  # the province's token
    seen = api.get("/api/v1/contacts", headers=commune).json()
    assert sorted(c["name"] for c in seen) == ["Cô Lan", "Phòng VH-XH"]


def test_a_school_token_cannot_create_a_contact_for_another_school(rt, api):
    school = bearer(make_token(rt, scope=f"school:{S1}", role="operator", name="gv"))
    assert (
        api.post("/api/v1/contacts", json=CONTACT | {"school_id": S2}, headers=school).status_code
        == 403
    )
    assert api.post("/api/v1/contacts", json=CONTACT, headers=school).status_code == 201


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://127.0.0.1:8086/write", "loopback"),
        ("http://localhost:1883/", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.20.0.5/hook", "private"),
        ("http://[::ffff:192.168.1.1]/", "private"),
    ],
)
def test_a_webhook_at_an_internal_address_is_refused_when_typed(api, url, reason):
    """The send-time check (channels/outbound.py) also runs on what is typed: an address that
    is plainly not a receiver's is a 422 naming why, and nothing is stored."""
    r = api.post("/api/v1/contacts", json=CONTACT | {"webhook_url": url})
    assert r.status_code == 422 and "webhook_url:" in r.text and reason in r.text, r.text
    assert api.get("/api/v1/contacts").json() == []
    ok = api.post("/api/v1/contacts", json=CONTACT)
    patched = api.patch(f"/api/v1/contacts/{ok.json()['id']}", json={"webhook_url": url})
    assert patched.status_code == 422 and reason in patched.text
    assert api.get(f"/api/v1/contacts/{ok.json()['id']}").json()["webhook_url"] is None
    # A host name is left for the send-time check, which resolves it each time.
    named = api.patch(
        f"/api/v1/contacts/{ok.json()['id']}",
        json={"webhook_url": "https://hooks.example.edu.vn/x"},
    )
    assert named.status_code == 200
