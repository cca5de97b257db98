"""The dashboard JSON and provisioning files are what Grafana expects: checked without Grafana.

Grafana loads a dashboard with duplicate panel ids, overlapping panels or an undefined
variable without complaint and then shows wrong or empty panels, so those are caught here.
"""

from __future__ import annotations

import re
import sys

import yaml

from tests.support.paths import ROOT as ROOT_DIR

DASHBOARDS = ROOT_DIR / "dashboards"
sys.path.insert(0, str(DASHBOARDS))
from schoolnet_dashboards import dashboard_model as model  # noqa: E402
from schoolnet_dashboards.grafana_vars import BUILTINS, VARIABLE_RE  # noqa: E402

DASHBOARD = model.load(DASHBOARDS / "province-overview.json")
DATASOURCE = yaml.safe_load((DASHBOARDS / "provisioning/datasources/schoolnet.yaml").read_text())
PROVIDER = yaml.safe_load((DASHBOARDS / "provisioning/dashboards/schoolnet.yaml").read_text())
PANELS = list(model.panels(DASHBOARD))


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings(value)


def test_identity_and_schema():
    assert DASHBOARD["uid"] == "schoolnet-province-overview"
    assert DASHBOARD["title"] == "Schoolnet — Tổng quan tỉnh / Province overview"
    assert 36 <= DASHBOARD["schemaVersion"] <= 41 and DASHBOARD.get("id") is None
    assert model.seconds(DASHBOARD["refresh"]) >= 30


def test_panel_ids_unique_and_grid_fits_24_columns_without_overlap():
    ids = [p["id"] for p in PANELS]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    cells = {}
    for p in PANELS:
        g = p["gridPos"]
        assert all(isinstance(g[k], int) and g[k] >= 0 for k in "xywh"), p["title"]
        assert g["w"] > 0 and g["h"] > 0 and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{p['title']} overlaps {cells.get((x, y))}"
                cells[(x, y)] = p["title"]


def test_titles_vietnamese_descriptions_english():
    for p in PANELS:
        assert re.search(r"[^\x00-\x7f]", p["title"]), f"not Vietnamese: {p['title']}"
        assert len(p.get("description", "")) > 40, f"no description: {p['title']}"
    pie = next(p for p in PANELS if p["type"] == "piechart")
    assert "'none'" in pie["description"] and "never" in pie["description"]


def test_every_target_is_raw_influxql_on_the_schoolnet_datasource_and_filtered():
    uid = DATASOURCE["datasources"][0]["uid"]
    for q in model.queries(DASHBOARD):
        refs = [t["refId"] for t in q.panel["targets"]]
        assert len(refs) == len(set(refs)) and q.target["refId"], q.title
        for ref in (q.panel["datasource"], q.target["datasource"]):
            assert ref["type"] == "influxdb" and model.datasource_uid(ref, DASHBOARD) == uid, (
                q.title
            )
        assert q.target["rawQuery"] is True and q.target["resultFormat"] in ("time_series", "table")
        text = q.target["query"]
        for needed in ("$timeFilter", '"commune" =~ /^$commune$/', '"level" =~ /^$level$/'):
            assert needed in text, f"{q.title} lacks {needed}"
        if "$__interval" in text:
            assert model.seconds(q.panel.get("interval", "1m")) >= 60, q.title
        for tag in re.findall(r"\$tag_(\w+)", q.target.get("alias", "")):
            assert f'GROUP BY "{tag}"' in text or f', "{tag}"' in text, f"{q.title}: alias ${tag}"


def test_every_variable_referenced_is_defined():
    defined = {v["name"] for v in model.template_variables(DASHBOARD)} | set(BUILTINS)
    used = {
        m.group(1) or m.group(2) or m.group(4)
        for s in strings(DASHBOARD["panels"])
        for m in VARIABLE_RE.finditer(s)
    } - {"tag_commune", "tag_kind", "col"}  # alias patterns
    assert used and used <= defined, f"undefined: {used - defined}"
    earlier = set()  # a variable's query may use only variables above it
    for var in model.template_variables(DASHBOARD):
        for s in strings([var.get("query"), var.get("datasource")]):
            refs = {m.group(1) or m.group(2) or m.group(4) for m in VARIABLE_RE.finditer(s)}
            assert refs <= earlier, f"{var['name']} refers to {refs - earlier}"
        earlier.add(var["name"])


def test_commune_and_level_variables_are_multi_with_all():
    variables = {v["name"]: v for v in model.template_variables(DASHBOARD)}
    assert variables["DS_SCHOOLNET"]["type"] == "datasource"
    assert variables["DS_SCHOOLNET"]["query"] == "influxdb"
    assert variables["commune"]["query"] == 'SHOW TAG VALUES FROM "report" WITH KEY = "commune"'
    assert variables["level"]["query"].startswith(
        'SHOW TAG VALUES FROM "report" WITH KEY = "level"'
    )
    assert "district" not in variables  # gone with the district offices (2025)
    for name in ("commune", "level"):
        v = variables[name]
        assert v["multi"] and v["includeAll"] and v["allValue"] == ".*" and v["refresh"] == 1
        assert v["current"]["value"] == ["$__all"]


def test_provisioning_files():
    ds = DATASOURCE["datasources"][0]
    assert DATASOURCE["apiVersion"] == 1 and ds["type"] == "influxdb" and ds["access"] == "proxy"
    assert ds["url"] == "http://127.0.0.1:8086"
    assert ds["database"] == ds["jsonData"]["dbName"] == "schoolnet"
    assert ds["jsonData"]["httpMode"] == "GET" and ds["jsonData"]["version"] == "InfluxQL"
    provider = PROVIDER["providers"][0]
    assert PROVIDER["apiVersion"] == 1 and provider["type"] == "file"
    assert (
        provider["folder"] == "Schoolnet"
        and provider["options"]["path"] == "/var/lib/schoolnet/dashboards"
    )
