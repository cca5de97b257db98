"""The readiness unit gives what ``planning.readiness`` computes, in each of its shapes
(JSON, tables, text), on the hand-made province (real InfluxDB, registry on SQLite)."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning import readiness
from schoolnet_collector.planning.export_text import render
from schoolnet_collector.planning.period import parse_period, parse_scope
from schoolnet_collector.planning.reports import REPORTS
from schoolnet_collector.planning.reports.base import Inputs
from schoolnet_collector.planning.tables import readiness_tables
from schoolnet_collector.planning.targets import load_targets
from tests.support.planning import NOW, build_province


@pytest.fixture()
def province(tmp_path, influxdb, influx_db_name):
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name)
    yield store, sessions
    engine.dispose()


def test_the_unit_is_the_readiness_computation(province):
    store, sessions = province
    unit = REPORTS.get("readiness")
    scope, period = parse_scope("commune:c-mot"), parse_period("2d", NOW)
    steps = []
    with sessions() as session:
        report = unit.compute(
            store,
            session,
            scope,
            period,
            as_of=2026,
            progress=lambda step, done, total: steps.append((done, total)),
        )
        direct = readiness.compute(store, session, scope, period, as_of=2026)
    assert steps and steps[-1][0] == steps[-1][1]  # the CLI's bar reaches its end
    assert unit.as_json(report, "en") == direct.as_dict()
    assert {s["id"] for s in unit.as_json(report, "vi")["schools"]} == {"p-fibre", "p-3g"}
    tables = unit.tables(report, "vi")
    assert [t.rows for t in tables] == [t.rows for t in readiness_tables(direct, "vi")]
    assert unit.text(tables) == render(tables[0])  # the terminal shows the summary
    assert not unit.uses_prices


def test_the_units_inputs_reach_the_computation(province, tmp_path):
    store, sessions = province
    own = tmp_path / "targets.yaml"
    own.write_text(
        "format: 1\ntargets:\n  internet: {milestones: {2026: 50}, source: Kế hoạch riêng}\n"
    )
    with sessions() as session:
        report = REPORTS.get("readiness").compute(
            store,
            session,
            parse_scope("province"),
            parse_period("2d", NOW),
            inputs=Inputs(targets=load_targets(own)),
        )
    internet = next(i for i in report.total.indicators if i.key == "internet")
    assert internet.target is not None and internet.target.value == 50
    assert internet.target.source == "Kế hoạch riêng"
