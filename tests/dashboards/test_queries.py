"""Every panel of the province overview, run as Grafana would run it, on data that came the
whole way: province simulator → Mosquitto → collector → InfluxDB 1.6.7.

No Grafana runs here, so the queries are interpolated with Grafana's rules (single value,
several values, All with and without a custom all value, old frontend and current backend
paths) and executed on the real InfluxDB. Beyond "returns rows", the counts are checked
against the simulated fleet: schools per commune, devices per kind, fibre vs 3G schools.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

import pytest

from schoolnet_collector.runtime import Runtime
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.profile_file import load_profile
from tests.support.collector import collector_settings, wait_until
from tests.support.paths import ROOT as ROOT_DIR

ROOT = ROOT_DIR
sys.path.insert(0, str(ROOT / "dashboards"))
from schoolnet_dashboards import dashboard_model as model  # noqa: E402
from schoolnet_dashboards.grafana_vars import ALL  # noqa: E402
from schoolnet_dashboards.panel_check import run_panels, variable_options  # noqa: E402

SCALE, SEED, INTERVAL, DURATION = "0.05", 0, "1.5", "4"
DASHBOARD = model.load(ROOT / "dashboards" / "province-overview.json")
DEVICES_ONLINE = (
    'SELECT count("seq") FROM (SELECT last("seq") AS "seq" FROM "report" '
    'GROUP BY "school", "device")'
)


def simulate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "schoolnet_collector.cli",
            "--log-level",
            "WARNING",
            "simulate",
            "--profile",
            "lao-cai-2018",
            "--scale",
            SCALE,
            "--seed",
            str(SEED),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.fixture(scope="module")
def fleet():
    return [s for s in generate_fleet(load_profile("lao-cai-2018"), float(SCALE), SEED) if s.online]


@pytest.fixture(scope="module")
def store(tmp_path_factory, mosquitto, influxdb, fleet):
    """InfluxDB filled by the real collector from the simulator's reports; yields the store."""
    tmp = tmp_path_factory.mktemp("dash")
    schools_csv, units_csv = tmp / "province-schools.csv", tmp / "province-units.csv"
    simulate("--export-schools", str(schools_csv), "--export-units", str(units_csv), "--no-publish")
    influxdb.create_database("dash_overview")
    settings = collector_settings(tmp, mosquitto, influxdb, "dash_overview")
    settings.registry.units_file = units_csv  # the province's communes, then its schools
    settings.registry.schools_file = schools_csv  # (not the 2 test ones)
    runtime = Runtime.open(settings)
    runtime.connect_store()
    runtime.start_ingest()
    try:
        assert wait_until(lambda: runtime.ingest.subscriber.connected)
        simulate(
            "--interval",
            INTERVAL,
            "--duration",
            DURATION,
            "--no-incidents",
            "--broker",
            f"127.0.0.1:{mosquitto.port}",
            "--username",
            "simulator",
            "--password",
            "simulator-secret",
        )
        reporting = sum(not d.broken for s in fleet for d in s.devices)
        stored = wait_until(
            lambda: (
                (runtime.store.query(DEVICES_ONLINE) or [{"values": [[0, 0]]}])[0]["values"][0][1]
                == reporting
            ),
            timeout=20,
        )
        assert stored, f"not every one of the {reporting} reporting devices reached InfluxDB"
        yield runtime.store
    finally:
        runtime.close()


def expected(fleet, selection):
    """The fleet as the dashboard should see it with ``selection`` applied."""

    def chosen(name, value):
        pick = selection[name]
        return pick == ALL or value in ([pick] if isinstance(pick, str) else pick)

    schools = [s for s in fleet if chosen("commune", s.commune) and chosen("level", s.level)]
    return {
        "schools": len(schools),
        "by_commune": Counter(s.commune for s in schools),
        "by_kind": Counter(d.kind for s in schools for d in s.devices if not d.broken),
        "fixed": sum(s.uplink == "fibre" for s in schools),
        "cellular": {s.id for s in schools if s.uplink == "cellular"},
        "projectors": {
            (s.id, d.id)
            for s in schools
            for d in s.devices
            if d.kind == "projector" and not d.broken
        },
    }


def by_title(results):
    return {r.query.panel["title"]: r for r in results}


def tagged(result, tag):
    """{tag value: last value} of a time_series result grouped by ``tag``."""
    return {s["tags"][tag]: s["values"][-1][1] for s in result.series}


def table(result):
    return [
        {**s.get("tags", {}), **dict(zip(s["columns"], row, strict=False))}
        for s in result.series
        for row in s["values"]
    ]


def selections(fleet, store):
    """Single commune, several communes and levels, and All; each picked so that every
    panel has something to show (a 3G school, a worn projector) and others are left out."""
    by_id = {s.id: s for s in fleet}
    worn = {by_id[school].commune: by_id[school] for school, _ in worn_projectors(store)}
    cellular = [s for s in fleet if s.uplink == "cellular"]
    both = [s for s in cellular if s.commune in worn]
    assert both, "the seeded fleet has no commune with both a 3G school and a worn projector"
    one = both[0]
    other = worn[sorted(set(worn) - {one.commune})[0]]
    return {
        "all": ({"commune": ALL, "level": ALL}, False, True),
        "all-listed": ({"commune": ALL, "level": ALL}, False, False),
        "one-commune": ({"commune": one.commune, "level": ALL}, False, True),
        "several": (
            {
                "commune": [one.commune, other.commune],
                "level": sorted({one.level, worn[one.commune].level, other.level}),
            },
            False,
            True,
        ),
        "one-in-multi-frontend": ({"commune": [one.commune], "level": ALL}, True, True),
    }


@pytest.mark.parametrize(
    "case", ["all", "all-listed", "one-commune", "several", "one-in-multi-frontend"]
)
def test_every_panel_returns_the_fleet_it_should(case, store, fleet):
    selection, frontend, custom_all = selections(fleet, store)[case]
    dashboard = DASHBOARD if custom_all else without_all_value(DASHBOARD)
    results = run_panels(
        dashboard, selection, store.query, range_seconds=3600, auto_interval="1m", frontend=frontend
    )
    empty = [r.query.title for r in results if not r.has_values]
    assert not empty, f"{case}: panels without data: {empty}\n" + "\n".join(r.text for r in results)
    want = expected(fleet, selection)
    panels = by_title(results)

    assert panels["Trường đang trực tuyến"].series[0]["values"][0][1] == want["schools"]
    assert tagged(panels["Trường trực tuyến theo xã, phường"], "commune") == dict(
        want["by_commune"]
    )
    assert tagged(panels["Thiết bị trực tuyến theo loại"], "kind") == dict(want["by_kind"])
    over_time = panels["Số trường trực tuyến theo thời gian, theo xã, phường"]
    per_bucket = Counter()
    for s in over_time.series:
        for t, n in s["values"]:
            per_bucket[t] += n
    assert max(per_bucket.values()) == want["schools"]  # a full minute saw every school

    share = panels["Loại đường truyền Internet"].series[0]
    assert dict(zip(share["columns"][1:], share["values"][0][1:], strict=False)) == {
        "fixed": want["fixed"],
        "cellular": len(want["cellular"]),
    }
    assert panels["Trường dùng 3G"].series[0]["values"][0][1] == len(want["cellular"])
    rows = table(panels["Trường đang dùng 3G: độ trễ và mất gói"])
    assert {r["school"] for r in rows} == want["cellular"]
    assert all(r["rtt_ms"] > 50 and r["up"] == 1 and r["isp"] for r in rows)  # a 3G modem's RTT

    latency = tagged(panels["Độ trễ đường truyền theo xã, phường"], "commune")
    assert set(latency) == set(want["by_commune"])
    lamps = table(panels["Máy chiếu cần thay bóng đèn (trên 80% giờ định mức)"])
    assert lamps and all(r["lamp_used_percent"] > 80 for r in lamps)
    assert {(r["school"], r["device"]) for r in lamps} == worn_projectors(store) & want[
        "projectors"
    ]


def worn_projectors(store) -> set[tuple[str, str]]:
    """Projectors past 80 % of their lamp rating, computed here from the raw points."""
    last = {}
    for r in store.rows(
        'SELECT "lamp_hours", "lamp_rated_hours" FROM "projector" GROUP BY "school", "device"'
    ):
        last[(r["school"], r["device"])] = r  # rows come in time order: the last one stays
    return {k for k, r in last.items() if r["lamp_hours"] > 0.8 * r["lamp_rated_hours"]}


def without_all_value(dashboard: dict) -> dict:
    """The same dashboard with no custom all value: All then lists every option."""
    copy = {
        **dashboard,
        "templating": {
            "list": [
                {k: v for k, v in var.items() if k != "allValue"}
                for var in model.template_variables(dashboard)
            ]
        },
    }
    return copy


def test_variable_queries_list_the_fleets_communes_and_levels(store, fleet):
    everything = variable_options(DASHBOARD, {"commune": ALL, "level": ALL}, store.query)
    assert everything == {
        "commune": sorted({s.commune for s in fleet}),
        "level": sorted({s.level for s in fleet}),
    }
    one = fleet[0].commune
    narrowed = variable_options(DASHBOARD, {"commune": one, "level": ALL}, store.query)
    assert narrowed["level"] == sorted({s.level for s in fleet if s.commune == one})


def test_names_used_by_transformations_and_overrides_exist_in_the_results(store, fleet):
    """A renamed column would silently leave a raw name or an unstyled field in Grafana."""
    for r in run_panels(DASHBOARD, {"commune": ALL, "level": ALL}, store.query):
        names = {c for s in r.series for c in s["columns"]} | {
            t for s in r.series for t in s.get("tags", {})
        }
        names = names - {"time"} | {"Time"}  # Grafana calls InfluxDB's time column "Time"
        for step in r.query.panel.get("transformations", []):
            for key in ("excludeByName", "indexByName", "renameByName"):
                missing = set(step["options"].get(key, {})) - names
                assert not missing, f"{r.query.title}: {key} names {missing}, results have {names}"
        if r.query.target.get("alias") == "$col":
            overrides = {o["matcher"]["options"] for o in r.query.panel["fieldConfig"]["overrides"]}
            assert overrides <= names, r.query.title


def test_check_tool_reports_every_panel_and_names_a_bad_dashboard(store, fleet, capsys, tmp_path):
    from schoolnet_dashboards.check_cli import main

    busy = selections(fleet, store)["one-commune"][0]["commune"]  # every panel has rows there

    assert (
        main(
            [
                "--influx-url",
                store.url,
                "--database",
                "dash_overview",
                "--commune",
                busy,
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(list(model.queries(DASHBOARD))) and all(
        "rows" in line for line in lines
    )
    assert main(["--dashboard", str(tmp_path / "missing.json")]) == 2
    assert "missing.json" in capsys.readouterr().err
    assert main(["--influx-url", store.url, "--database", "no_such_db"]) == 1
    assert "database not found" in capsys.readouterr().err
