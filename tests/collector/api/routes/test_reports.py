"""``/api/v1/reports`` and ``/api/v1/reports/{report}`` on the hand-made province: every
registered report answers exactly as its older URL does (JSON and downloads), with the same
scope checks; an unknown or hostile name is a 404 naming the known reports."""

from __future__ import annotations

import io

import openpyxl
import pytest
from fastapi.testclient import TestClient

from schoolnet_collector.api.auth import get_clock
from schoolnet_collector.app import create_app
from schoolnet_collector.core.config import load_settings
from schoolnet_collector.planning.reports import REPORTS
from schoolnet_collector.runtime import Runtime
from tests.support.collector import bearer, make_token
from tests.support.planning import NOW, build_province

OLD_URLS = {"readiness": "/api/v1/readiness", "procurement": "/api/v1/procurement"}


@pytest.fixture(scope="module")
def site(tmp_path_factory, influxdb):
    tmp = tmp_path_factory.mktemp("reports")
    database = f"t_reports_{tmp.name}"[:60].replace("-", "_")
    _, _, engine = build_province(tmp, influxdb, database)
    engine.dispose()
    rt = Runtime.open(
        load_settings(
            None,
            influx={"url": influxdb.url, "database": database},
            registry={"url": f"sqlite:///{tmp}/registry.sqlite3"},
        )
    )
    app = create_app(rt)
    app.dependency_overrides[get_clock] = lambda: lambda: NOW  # the period ends at NOW
    with TestClient(app) as client:
        yield {
            "client": client,
            "province": bearer(make_token(rt, scope="province")),
            "commune": bearer(make_token(rt, scope="commune:c-mot")),
        }
    rt.close()


def test_the_list_names_every_registered_report_in_the_readers_language(site):
    client = site["client"]
    vi = client.get("/api/v1/reports", headers=site["commune"])
    assert vi.status_code == 200, vi.text
    assert [r["name"] for r in vi.json()] == list(REPORTS.names())
    assert [r["url"] for r in vi.json()] == [f"/api/v1/reports/{n}" for n in REPORTS.names()]
    en = client.get("/api/v1/reports", params={"lang": "en"}, headers=site["commune"]).json()
    assert [r["title"] for r in en] == [REPORTS.get(n).title.message for n in REPORTS.names()]
    assert vi.json()[1]["title"] == "Kế hoạch mua sắm" and en[1]["uses_prices"] is True
    assert (
        client.get("/api/v1/reports", params={"lang": "fr"}, headers=site["commune"]).status_code
        == 422
    )


@pytest.mark.parametrize("name", REPORTS.names())
@pytest.mark.parametrize(
    "params",
    [
        {"period": "2d", "as_of": "2018", "lang": "en"},
        {"period": "2d", "format": "csv"},
        {"period": "2d", "format": "xlsx", "scope": "commune:c-mot"},
    ],
    ids=["json", "csv", "xlsx"],
)
def test_each_report_answers_as_its_older_url(site, name, params):
    client, token = site["client"], site["province"]
    new = client.get(f"/api/v1/reports/{name}", params=params, headers=token)
    old = client.get(OLD_URLS[name], params=params, headers=token)
    assert new.status_code == old.status_code == 200, new.text
    assert new.headers["content-type"] == old.headers["content-type"]
    assert new.headers.get("content-disposition") == old.headers.get("content-disposition")
    if params.get("format") == "xlsx":  # a workbook carries its creation time: compare cells
        new_book, old_book = (openpyxl.load_workbook(io.BytesIO(r.content)) for r in (new, old))
        assert [list(ws.values) for ws in new_book] == [list(ws.values) for ws in old_book]
    else:
        assert new.content == old.content


@pytest.mark.parametrize("name", REPORTS.names())
def test_each_report_keeps_the_scope_checks(site, name):
    client, token = site["client"], site["commune"]
    own = client.get(f"/api/v1/reports/{name}", params={"period": "2d"}, headers=token)
    assert own.status_code == 200 and own.json()["scope"] == "commune:c-mot"
    for scope in ("commune:c-hai", "school:p-thpt", "province"):
        r = client.get(f"/api/v1/reports/{name}", params={"scope": scope}, headers=token)
        assert r.status_code == 403 and "outside the token's scope" in r.text, scope
    assert client.get(f"/api/v1/reports/{name}").status_code == 401
    bad = client.get(f"/api/v1/reports/{name}", params={"period": "30"}, headers=token)
    assert bad.status_code == 422 and "period '30'" in bad.text


@pytest.mark.parametrize(
    "name", ["budget", "READINESS", "readiness.csv", "%2e%2e", "r%C3%A9sum%C3%A9", "x" * 40]
)
def test_an_unknown_report_is_a_404_naming_the_known_ones(site, name):
    r = site["client"].get(f"/api/v1/reports/{name}", headers=site["province"])
    assert r.status_code == 404, (name, r.status_code)
    assert r.json()["detail"].endswith("known: readiness, procurement")


def test_an_overlong_name_is_a_422_and_no_token_a_401(site):
    client = site["client"]
    assert client.get("/api/v1/reports/" + "x" * 41, headers=site["province"]).status_code == 422
    assert client.get("/api/v1/reports/budget").status_code == 401  # no hint without a token
