"""The procurement unit gives what ``planning.procurement`` computes, with the Sở's prices,
in each of its shapes, on the hand-made province (real InfluxDB, registry on SQLite)."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning import procurement
from schoolnet_collector.planning.period import parse_period, parse_scope
from schoolnet_collector.planning.prices import load_prices
from schoolnet_collector.planning.reports import REPORTS
from schoolnet_collector.planning.reports.base import Inputs
from schoolnet_collector.planning.tables import procurement_tables
from tests.support.planning import NOW, build_province


@pytest.fixture()
def province(tmp_path, influxdb, influx_db_name):
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name)
    yield store, sessions
    engine.dispose()


def test_the_unit_is_the_procurement_computation(province):
    store, sessions = province
    unit = REPORTS.get("procurement")
    scope, period = parse_scope("province"), parse_period("2d", NOW)
    with sessions() as session:
        plan = unit.compute(store, session, scope, period, as_of=2018)
        direct = procurement.compute(store, session, scope, period, as_of=2018)
    assert unit.as_json(plan, "en") == direct.as_dict("en")
    assert unit.as_json(plan, "vi") == direct.as_dict("vi") != direct.as_dict("en")
    tables = unit.tables(plan, "en")
    assert [t.rows for t in tables] == [t.rows for t in procurement_tables(direct, "en")]
    text = unit.text(tables)
    assert text.startswith(tables[0].title) and tables[-1].title in text  # summary and devices
    assert unit.uses_prices and unit.summary_on_page


def test_the_sos_prices_reach_the_plan(province, tmp_path):
    store, sessions = province
    defaults = load_prices()
    doubled = defaults.model_copy(
        update={
            "items": defaults.items.model_copy(
                update={k: 2 * v for k, v in defaults.items.model_dump().items()}
            )
        }
    )
    unit = REPORTS.get("procurement")
    with sessions() as session:
        args = (store, session, parse_scope("province"), parse_period("2d", NOW))
        plain = unit.compute(*args, as_of=2018)
        dear = unit.compute(*args, as_of=2018, inputs=Inputs(prices=doubled))
    assert plain.total.cost > 0 and dear.total.cost == 2 * plain.total.cost
