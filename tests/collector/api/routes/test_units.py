"""``/api/v1/units`` and ``/api/v1/communes`` on the hand-made province placed in today's units
(tests/support/planning.py): what each token scope sees (the province everything, a district
or a school token only the units and counts of its own schools), the schools without a commune
as ``unassigned``, and wrong parameters named. Registry on SQLite and PostgreSQL."""

from __future__ import annotations

import typing
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from schoolnet_collector.api.auth import get_clock
from schoolnet_collector.api.routes.units import UnitType
from schoolnet_collector.app import create_app
from schoolnet_collector.core.config import load_settings
from schoolnet_collector.registry.models import Device
from schoolnet_collector.registry.units import UNIT_TYPES
from schoolnet_collector.runtime import Runtime
from tests.support.backends import REGISTRY_BACKENDS
from tests.support.collector import bearer, make_token
from tests.support.planning import EQUIPMENT, NOW, build_province

ONLINE = {("p-fibre", "gw"), ("p-fibre", "admin-pc01"), ("p-thpt", "gw")}
"""Devices heard a minute before NOW (the rest were never heard)."""
DEVICES = {
    s: sum(1 for e in EQUIPMENT if e[0] == s) for s in ("p-fibre", "p-3g", "p-none", "p-thpt")
}


@pytest.fixture(params=REGISTRY_BACKENDS)
def site(request, tmp_path, influxdb, influx_db_name):
    url = (
        request.getfixturevalue("postgresql_url")
        if request.param == "postgresql"
        else f"sqlite:///{tmp_path}/registry.sqlite3"
    )
    _, sessions, engine = build_province(tmp_path, influxdb, influx_db_name, url)
    with sessions() as session:
        for device in session.query(Device):
            if (device.school_id, device.device_id) in ONLINE:
                device.last_seen = NOW - timedelta(minutes=1)
                device.interval_seconds = 60.0
        session.commit()
    engine.dispose()
    rt = Runtime.open(
        load_settings(
            None,
            influx={"url": influxdb.url, "database": influx_db_name},
            registry={"url": url},
        )
    )
    app = create_app(rt)
    app.dependency_overrides[get_clock] = lambda: lambda: NOW
    tokens = {
        scope: bearer(make_token(rt, scope=scope))
        for scope in ("province", "commune:c-mot", "school:p-fibre", "school:p-thpt")
    }
    with TestClient(app) as client:
        yield client, tokens
    rt.close()


def get(site, path, scope="province", **params):
    client, tokens = site
    return client.get(path, params=params, headers=tokens[scope])


def test_the_route_s_unit_types_are_the_registry_s():
    assert typing.get_args(UnitType) == UNIT_TYPES


def test_a_province_token_sees_every_unit_with_its_type_and_parent(site):
    r = get(site, "/api/v1/units")
    assert r.status_code == 200, r.text
    assert [(u["code"], u["type"], u["parent"]) for u in r.json()] == [
        ("c-hai", "phuong", "lao-cai"),
        ("c-mot", "xa", "lao-cai"),
        ("d-one", "huyen", "lao-cai-cu"),
        ("d-two", "huyen", "yen-bai-cu"),
        ("lao-cai", "tinh", None),
        ("lao-cai-cu", "tinh_cu", "lao-cai"),
        ("yen-bai-cu", "tinh_cu", "lao-cai"),
    ]
    first = r.json()[0]
    assert (first["name"], first["type_name"], first["valid_from"]) == (
        "Phường Hai",
        "Phường",
        "2025-07-01",
    )
    old = get(site, "/api/v1/units", type="tinh_cu", lang="en").json()
    assert [(u["code"], u["type_name"], u["valid_to"]) for u in old] == [
        ("lao-cai-cu", "Former province", "2025-06-30"),
        ("yen-bai-cu", "Former province", "2025-06-30"),
    ]


@pytest.mark.parametrize(
    "scope, units",
    [
        ("commune:c-mot", ["c-mot", "d-one", "lao-cai", "lao-cai-cu"]),
        ("school:p-thpt", ["c-hai", "d-two", "lao-cai", "yen-bai-cu"]),
    ],
)
def test_a_narrower_token_sees_only_the_units_of_its_schools(site, scope, units):
    r = get(site, "/api/v1/units", scope=scope)
    assert r.status_code == 200, r.text
    assert [u["code"] for u in r.json()] == units
    communes = get(site, "/api/v1/units", scope=scope, type="xa").json()
    assert [u["code"] for u in communes] == [u for u in units if u == "c-mot"]


def bodies(entry) -> dict[str, int]:
    return {b["id"]: b["schools"] for b in entry["managing_bodies"]}


def test_communes_count_schools_bodies_and_devices_and_keep_the_unassigned(site):
    r = get(site, "/api/v1/communes")
    assert r.status_code == 200, r.text
    rows = r.json()
    assert [(c["id"], c["name"], c["type"], c["schools"]) for c in rows] == [
        ("c-hai", "Phường Hai", "phuong", 1),
        ("c-mot", "Xã Một", "xa", 2),
        ("unassigned", "Chưa gán xã", None, 1),
    ]
    assert sum(c["schools"] for c in rows) == 4  # every school of the registry
    assert [bodies(c) for c in rows] == [
        {"province": 1, "commune": 0},  # the THPT is the Sở's
        {"province": 0, "commune": 2},
        {"province": 0, "commune": 1},  # p-none: a preschool, run by a commune not yet named
    ]
    assert [(c["devices"], c["devices_online"], c["online_now"]) for c in rows] == [
        (DEVICES["p-thpt"], 1, 1),
        (DEVICES["p-fibre"] + DEVICES["p-3g"], 2, 1),
        (DEVICES["p-none"], 0, 0),
    ]
    en = get(site, "/api/v1/communes", lang="en").json()
    assert en[-1]["name"] == "Unassigned" and en[0]["name"] == "Phường Hai"


def test_a_commune_token_sees_its_own_commune_only(site):
    rows = get(site, "/api/v1/communes", scope="commune:c-mot").json()
    assert [(c["id"], c["schools"]) for c in rows] == [("c-mot", 2)]
    assert "c-hai" not in str(rows) and "Phường Hai" not in str(rows)
    one = get(site, "/api/v1/communes/c-mot", scope="commune:c-mot")
    assert one.status_code == 200 and one.json()["schools"] == 2
    assert get(site, "/api/v1/communes/c-hai", scope="commune:c-mot").status_code == 404
    assert get(site, "/api/v1/communes/c-mot", scope="school:p-fibre").status_code == 403
    # The province sees the Sở's THPT in c-hai; the unassigned schools are one entry too.
    assert get(site, "/api/v1/communes/c-hai").json()["managing_bodies"][0] == {
        "id": "province",
        "schools": 1,
    }
    assert get(site, "/api/v1/communes/unassigned").json()["schools"] == 1


def test_a_school_token_counts_only_its_own_school_in_its_commune(site):
    rows = get(site, "/api/v1/communes", scope="school:p-fibre").json()
    assert [(c["id"], c["schools"], bodies(c)) for c in rows] == [
        ("c-mot", 1, {"province": 0, "commune": 1})  # not p-3g, its neighbour in c-mot
    ]
    assert (rows[0]["devices"], rows[0]["devices_online"]) == (DEVICES["p-fibre"], 2)


@pytest.mark.parametrize("path", ["/api/v1/units", "/api/v1/communes"])
def test_no_token_or_a_wrong_one_is_401(site, path):
    client, tokens = site
    for headers in (
        {},
        bearer("snt_" + "x" * 43),
        bearer(tokens["province"]["Authorization"][7:-1]),
    ):
        r = client.get(path, headers=headers)
        assert r.status_code == 401, (headers, r.status_code)
        assert "Xã" not in r.text


@pytest.mark.parametrize(
    "path, params, name",
    [
        ("/api/v1/units", {"type": "district"}, "type"),
        ("/api/v1/units", {"type": "XA"}, "type"),
        ("/api/v1/units", {"type": "xa' OR 1=1 --"}, "type"),
        ("/api/v1/units", {"lang": "fr"}, "lang"),
        ("/api/v1/communes", {"lang": "vi-VN"}, "lang"),
    ],
)
def test_bad_parameters_are_422_naming_them(site, path, params, name):
    r = get(site, path, **params)
    assert r.status_code == 422, r.text
    assert [e["loc"] for e in r.json()["detail"]] == [["query", name]]
