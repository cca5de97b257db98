"""Readiness and procurement grouped on every axis of ``planning.grouping``, on the hand-made
province placed in today's units (tests/support/planning.py: two communes, the preschool
p-none with no commune yet, the THPT run by the Sở), real InfluxDB, the registry on SQLite
and on PostgreSQL. A grouping never drops a school: its groups add up to the total."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning import procurement, readiness
from schoolnet_collector.planning.grouping import (
    AXES,
    DEFAULT_GROUP_BY,
    GroupByError,
    parse_group_by,
)
from schoolnet_collector.planning.period import ReportArgumentError, parse_period, parse_scope
from schoolnet_collector.planning.reports import REPORTS
from tests.support.backends import REGISTRY_BACKENDS
from tests.support.planning import NOW, build_province

# --- parse_group_by: what a request may say ----------------------------------------------------


def test_group_by_keeps_the_order_asked_each_axis_once():
    assert parse_group_by(None) == DEFAULT_GROUP_BY
    assert parse_group_by("") == DEFAULT_GROUP_BY
    assert parse_group_by(" , ") == DEFAULT_GROUP_BY
    assert parse_group_by("commune, level,commune") == ("commune", "level")
    assert parse_group_by(["legacy_province", "province,managing_body"]) == (
        "legacy_province",
        "province",
        "managing_body",
    )
    assert parse_group_by(",".join(AXES)) == AXES


@pytest.mark.parametrize(
    "text", ["district", "Commune", "commune;level", "level,xã", "x" * 500, "commune,,huyen"]
)
def test_an_unknown_axis_names_itself_and_every_axis(text):
    with pytest.raises(GroupByError) as err:
        parse_group_by(text)
    assert isinstance(err.value, ReportArgumentError)  # the CLI's exit 2, the API's 422
    message = str(err.value)
    assert message.startswith("group_by ") and "expected one or more of" in message
    assert all(axis in message for axis in AXES)
    assert len(message) < 300  # a hostile value is cut, not echoed whole


# --- the province in communes ----------------------------------------------------------------


@pytest.fixture(params=REGISTRY_BACKENDS)
def placed(request, tmp_path, influxdb, influx_db_name):
    url = request.getfixturevalue("postgresql_url") if request.param == "postgresql" else None
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name, url)
    yield store, sessions
    engine.dispose()


@pytest.fixture()
def unplaced(tmp_path, influxdb, influx_db_name):
    """The registry as the migration leaves it: districts, no commune for any school."""
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name, placed=False)
    yield store, sessions
    engine.dispose()


def ready(province, group_by, scope="province", **kw):
    store, sessions = province
    with sessions() as session:
        return readiness.compute(
            store, session, parse_scope(scope), parse_period("2d", NOW), group_by=group_by, **kw
        )


def needs(province, group_by, scope="province", **kw):
    store, sessions = province
    with sessions() as session:
        return procurement.compute(
            store,
            session,
            parse_scope(scope),
            parse_period("2d", NOW),
            as_of=2018,
            group_by=group_by,
            **kw,
        )


def ind(group, key="internet"):
    return next(i for i in group.indicators if i.key == key)


def shape(groups):
    return [(g.kind, g.id, g.name, g.schools) for g in groups]


def test_by_commune_the_school_without_one_is_unassigned_never_dropped(placed):
    r = ready(placed, "commune")
    assert r.group_by == ("commune",)
    assert shape(r.grouped["commune"]) == [
        ("commune", "c-hai", "Phường Hai", 1),
        ("commune", "c-mot", "Xã Một", 2),
        ("commune", "unassigned", "Chưa gán xã", 1),  # p-none, listed last
    ]
    communes = r.grouped["commune"]
    assert sum(g.schools for g in communes) == r.total.schools == 4
    internet = [ind(g) for g in communes]
    assert sum(i.numerator for i in internet) == ind(r.total).numerator == 3
    assert sum(i.denominator for i in internet) == ind(r.total).denominator == 4
    assert [i.value for i in internet] == [100.0, 100.0, 0.0]  # p-none has no internet
    assert {s.id: s.commune for s in r.schools}["p-none"] == "unassigned"
    as_json = r.as_dict()
    assert [g["id"] for g in as_json["communes"]] == ["c-hai", "c-mot", "unassigned"]
    assert "legacy_districts" not in as_json and as_json["group_by"] == ["commune"]


def test_before_any_commune_every_school_is_unassigned(unplaced):
    r = ready(unplaced, "commune,managing_body")
    assert shape(r.grouped["commune"]) == [("commune", "unassigned", "Chưa gán xã", 4)]
    # the managing body follows the level even before the communes are imported
    assert [(g.id, g.schools) for g in r.grouped["managing_body"]] == [
        ("province", 1),
        ("commune", 3),
    ]


def test_by_managing_body_the_thpt_is_the_so_s_and_the_rest_the_communes(placed):
    r = ready(placed, "managing_body")
    assert shape(r.grouped["managing_body"]) == [
        ("managing_body", "province", "Sở GDĐT", 1),
        ("managing_body", "commune", "UBND xã/phường", 3),
    ]
    bodies = {s.id: s.managing_body for s in r.schools}
    assert bodies == {
        "p-thpt": "province",
        "p-fibre": "commune",
        "p-3g": "commune",
        "p-none": "commune",  # no commune yet, but a preschool: the commune runs it
    }
    so, communes = r.grouped["managing_body"]
    assert (ind(so).numerator, ind(so).denominator) == (1, 1)
    assert (ind(communes).numerator, ind(communes).denominator) == (2, 3)
    assert "lab:thpt" in {i.key for i in so.indicators}
    assert "lab:thpt" not in {i.key for i in communes.indicators}  # no THPT the communes run
    json_bodies = r.as_dict()["managing_bodies"]
    assert [(b["id"], b["schools"]) for b in json_bodies] == [("province", 1), ("commune", 3)]


def test_by_legacy_district_and_legacy_province_with_the_registry_s_names(placed):
    r = ready(placed, "legacy_district,legacy_province,province")
    assert shape(r.grouped["legacy_district"]) == [
        ("legacy_district", "d-one", "Huyện Một", 2),
        ("legacy_district", "d-two", "Huyện Hai", 2),
    ]
    assert shape(r.grouped["legacy_province"]) == [
        ("legacy_province", "lao-cai-cu", "Tỉnh Lào Cai (cũ)", 2),
        ("legacy_province", "yen-bai-cu", "Tỉnh Yên Bái (cũ)", 2),
    ]
    assert shape(r.grouped["province"]) == [("province", "lao-cai", "Tỉnh Lào Cai", 4)]
    old_lao_cai, old_yen_bai = r.grouped["legacy_province"]
    assert ind(old_lao_cai).value == 100.0 and ind(old_yen_bai).value == 50.0
    # a legacy district's figure is its schools', as before the communes
    assert ind(r.grouped["legacy_district"][1]).numerator == 1


def test_groupings_in_the_tables_in_both_languages(placed):
    unit = REPORTS.get("readiness")
    r = ready(placed, "commune,managing_body,province")
    for lang, words in {
        "vi": {"Xã/phường", "Chưa gán xã", "Cơ quan quản lý", "Sở GDĐT", "Tỉnh Lào Cai"},
        "en": {"Commune", "Unassigned", "Managing body", "Department of Education (Sở)"},
    }.items():
        rows = unit.tables(r, lang)[0].rows
        seen = {str(cell) for row in rows for cell in row[:3]}
        assert words <= seen, (lang, words - seen)
    vi = unit.tables(r, "vi")[0].rows
    assert ["Tỉnh", "lao-cai", "Tỉnh Lào Cai"] in [row[:3] for row in vi]


def test_a_commune_scope_groups_only_the_schools_it_runs(placed):
    r = ready(placed, "commune,managing_body,legacy_district", scope="commune:c-mot")
    assert shape(r.grouped["commune"]) == [("commune", "c-mot", "Xã Một", 2)]
    assert [(g.id, g.schools) for g in r.grouped["managing_body"]] == [("commune", 2)]
    assert [(g.id, g.schools) for g in r.grouped["legacy_district"]] == [("d-one", 2)]


def test_a_commune_with_only_the_so_s_school_has_none_to_report(placed):
    """c-hai holds only the THPT, which the Sở runs: the commune's scope is empty, and says so."""
    with pytest.raises(ReportArgumentError, match="no school run by commune 'c-hai'"):
        ready(placed, "commune", scope="commune:c-hai")


def test_a_bad_group_by_stops_before_any_query(placed):
    with pytest.raises(GroupByError, match="group_by 'ward'"):
        ready(placed, "commune,ward")
    with pytest.raises(GroupByError, match="group_by 'district'"):
        needs(placed, "district")


# --- procurement on the same axes --------------------------------------------------------------


def test_procurement_groups_the_same_way_and_adds_up(placed):
    plan = needs(placed, "commune,managing_body,legacy_province,level")
    r = ready(placed, "commune,managing_body,legacy_province,level")
    for axis in ("commune", "managing_body", "legacy_province", "level"):
        assert [g.id for g in plan.grouped[axis]] == [g.id for g in r.grouped[axis]], axis
        for key in ("pcs", "labs_replace", "lab_pcs_replace", "labs_add", "projectors", "cost"):
            assert sum(getattr(g.needs, key) for g in plan.grouped[axis]) == getattr(
                plan.total, key
            ), (axis, key)
    communes = {g.id: g for g in plan.grouped["commune"]}
    assert communes["unassigned"].name == "Chưa gán xã"
    # p-fibre (c-mot) has the old lab and the failing PC and projector
    assert (communes["c-mot"].needs.labs_replace, communes["c-mot"].needs.pcs) == (1, 2)
    assert communes["c-mot"].needs.cost == plan.total.cost - communes["unassigned"].needs.cost
    bodies = {g.id: g.needs for g in plan.grouped["managing_body"]}
    assert bodies["province"].labs_replace == 0 and bodies["commune"].labs_replace == 1
    as_json = plan.as_dict()
    assert [g["id"] for g in as_json["communes"]] == ["c-hai", "c-mot", "unassigned"]
    assert [g["id"] for g in as_json["managing_bodies"]] == ["province", "commune"]
    assert "districts" not in as_json and "legacy_districts" not in as_json
    placed_school = {s["id"]: s for s in as_json["schools"]}["p-fibre"]
    assert (placed_school["commune"], placed_school["managing_body"]) == ("c-mot", "commune")


def test_procurement_default_grouping_is_the_one_readiness_has(placed):
    plan, r = needs(placed, None), ready(placed, None)
    assert plan.group_by == r.group_by == DEFAULT_GROUP_BY
    summary = REPORTS.get("procurement").tables(plan, "vi")[0].rows
    assert ["Cơ quan quản lý", "province", "Sở GDĐT"] in [row[:3] for row in summary]
    assert ["Huyện (trước 2025)", "d-one", "Huyện Một"] in [row[:3] for row in summary]
