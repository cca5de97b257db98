"""The model of Grafana's variable interpolation that the dashboard query test relies on.

Cases follow Grafana's InfluxDB data source: raw InfluxQL is interpolated with the ``regex``
format (backend path, Grafana 10/11) or ``interpolateQueryStr`` (older frontend path).
"""

from __future__ import annotations

import sys

import pytest

from tests.support.paths import ROOT as ROOT_DIR

sys.path.insert(0, str(ROOT_DIR / "dashboards"))
from schoolnet_dashboards.dashboard_model import PanelQuery, datasource_uid, seconds
from schoolnet_dashboards.grafana_vars import (
    ALL,
    Variable,
    escape_regex,
    interpolate,
    unresolved,
)

Q = '"district" =~ /^$district$/ AND "level" =~ /^${level}$/ AND $timeFilter GROUP BY time($__interval)'
BUILTINS = {"timeFilter": "time >= now() - 1h and time <= now()", "__interval": "1m"}


def variables(district, level=ALL, all_value=".*", multi=True):
    options = ["bat-xat", "sa-pa", "tp-lao-cai"]
    return {
        "district": Variable("district", multi, True, all_value, options, district),
        "level": Variable("level", multi, True, all_value, ["thcs", "thpt"], level),
    }


@pytest.mark.parametrize(
    "district, frontend, expected",
    [
        ("bat-xat", False, "/^bat-xat$/"),  # single value: '-' not escaped
        (["bat-xat", "sa-pa"], False, "/^(bat-xat|sa-pa)$/"),  # several values
        (["sa-pa"], False, "/^sa-pa$/"),  # one value picked, backend path
        (["sa-pa"], True, "/^(sa-pa)$/"),  # the same, old frontend path
        (ALL, False, "/^.*$/"),  # All with custom all value
        ([ALL], True, "/^.*$/"),
    ],
)
def test_district_values_are_formatted_as_grafana_does(district, frontend, expected):
    text = interpolate(Q, variables(district), BUILTINS, frontend)
    assert text.startswith(f'"district" =~ {expected} AND "level" =~ /^.*$/')
    assert text.endswith("AND time >= now() - 1h and time <= now() GROUP BY time(1m)")
    assert unresolved(text) == []


def test_all_without_custom_value_lists_every_option_escaped():
    vs = variables(ALL, ALL, all_value=None)
    vs["district"].options = ["bat-xat", "a.b/c"]
    text = interpolate(Q, vs, BUILTINS)
    assert text.startswith(r'"district" =~ /^(bat-xat|a\.b\/c)$/ AND "level" =~ /^(thcs|thpt)$/')


def test_regex_characters_in_a_value_are_escaped_so_it_matches_only_itself():
    assert (
        escape_regex(r"a.b*c+d?e(f)g[h]i{j}k|l^m$n/o\p-q")
        == r"a\.b\*c\+d\?e\(f\)g\[h\]i\{j\}k\|l\^m\$n\/o\\p-q"
    )
    text = interpolate("/^$district$/", variables("x.y"), {})
    assert text == r"/^x\.y$/"


def test_a_plain_variable_is_inserted_unescaped_in_the_frontend_path():
    vs = {"school": Variable("school", current="lc.1")}
    assert interpolate("$school", vs, {}, frontend=True) == "lc.1"
    assert interpolate("$school", vs, {}, frontend=False) == r"lc\.1"


def test_unknown_variables_are_left_for_the_test_to_find_and_other_formats_refused():
    text = interpolate("$nowhere AND [[district]]", variables("sa-pa"), {})
    assert text == "$nowhere AND sa-pa" and unresolved(text) == ["nowhere"]
    with pytest.raises(ValueError, match="only the regex format"):
        interpolate("${district:csv}", variables("sa-pa"), {})


def test_panel_overrides_time_range_and_minimum_interval():
    q = PanelQuery({"timeFrom": "5m", "interval": "2m"}, {"refId": "A"})
    assert q.range_seconds(3600) == 300 and q.interval("1m") == "2m" and q.interval("5m") == "5m"
    plain = PanelQuery({}, {"refId": "A"})
    assert plain.range_seconds(3600) == 3600 and plain.interval("30s") == "30s"
    with pytest.raises(ValueError, match="not a Grafana duration"):
        seconds("5 minutes")


def test_datasource_reference_resolves_through_the_datasource_variable():
    dash = {
        "templating": {
            "list": [{"name": "DS_X", "type": "datasource", "current": {"value": "uid-1"}}]
        }
    }
    assert datasource_uid({"uid": "${DS_X}"}, dash) == "uid-1"
    assert datasource_uid({"uid": "$DS_X"}, dash) == "uid-1"
    assert datasource_uid({"uid": "fixed"}, dash) == "fixed"
    assert datasource_uid({"uid": "${DS_MISSING}"}, dash) is None
