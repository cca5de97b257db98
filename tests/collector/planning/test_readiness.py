"""Readiness indicators on a hand-made province (tests/planning_helpers.py): real InfluxDB,
registry on SQLite, the clock injected as the period's end."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning import readiness
from schoolnet_collector.planning.period import ReportArgumentError, parse_period, parse_scope
from schoolnet_collector.planning.targets import load_targets
from tests.support.planning import NOW, build_province, expected_availability


@pytest.fixture()
def province(tmp_path, influxdb, influx_db_name):
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name)
    yield store, sessions
    engine.dispose()


def compute(province, scope="province", period="2d", **kw):
    store, sessions = province
    with sessions() as session:
        return readiness.compute(
            store, session, parse_scope(scope), parse_period(period, NOW), **kw
        )


def by_key(group) -> dict:
    return {i.key: i for i in group.indicators}


def test_connectivity_shares_against_the_plan_targets(province):
    r = compute(province)
    ind = by_key(r.total)
    assert ind["schools"].value == 4
    assert (ind["internet"].numerator, ind["internet"].denominator, ind["internet"].value) == (
        3,
        4,
        75.0,
    )
    assert (ind["internet"].target.value, ind["internet"].gap) == (100, 25.0)
    assert "Thái Nguyên" in ind["internet"].target.source
    assert (
        ind["fixed_broadband"].numerator,
        ind["cellular"].numerator,
        ind["no_internet"].numerator,
    ) == (2, 1, 1)
    fixed = ind["fixed_broadband"].target  # as of 2026 the 2030 milestone applies
    assert (fixed.value, fixed.year, ind["fixed_broadband"].gap) == (95, 2030, 45.0)
    assert ind["rtt_ms"].value == 30.0 and ind["loss_percent"].value == 0.5  # medians of schools


def test_uplink_availability_counts_only_school_hours(province):
    r = compute(province)
    schools = {s.id: s for s in r.schools}
    assert schools["p-fibre"].availability_percent == pytest.approx(
        expected_availability("p-fibre"), abs=0.01
    )
    assert schools["p-fibre"].availability_percent < 100  # the Monday-morning outage
    assert schools["p-thpt"].availability_percent == 100.0
    assert schools["p-none"].availability_percent is None
    # a night-time outage would not count: same data, period limited to last night's hours
    night = compute(province, period="6h")
    assert {s.id: s.school_hours_samples for s in night.schools}["p-fibre"] == 18  # 07:00-09:50


def test_labs_by_level_with_the_working_pc_threshold(province):
    ind = by_key(compute(province).total)
    assert ind["lab:thcs"].value == 100.0  # 3 of 4 lab PCs report: a working lab
    assert ind["lab:tieu_hoc"].value == 0.0  # 2 lab PCs report: fewer than 3
    assert ind["lab_record:tieu_hoc"].value == 100.0  # but a lab is on record
    assert (ind["lab:mam_non"].value, ind["lab:mam_non"].target.value) == (0.0, 70)
    assert ind["lab:thpt"].value == 100.0 and ind["lab:thpt"].gap == 0.0
    targets = load_targets()
    targets.parameters.lab_min_working_pcs = 2
    relaxed = by_key(compute(province, targets=targets).total)
    assert relaxed["lab:tieu_hoc"].value == 100.0


def test_equipment_pcs_projectors_and_digital_records(province):
    ind = by_key(compute(province).total)
    assert (ind["pcs_working"].numerator, ind["pcs_working"].denominator) == (11, 14)
    assert ind["students_per_pc"].value == pytest.approx(1480 / 8)
    assert (ind["projectors_working"].numerator, ind["projectors_working"].denominator) == (1, 2)
    assert (ind["boards_working"].numerator, ind["boards_working"].denominator) == (1, 1)
    digital = ind["digital_record"]  # inventory sent a month before the period still counts
    assert (digital.numerator, digital.denominator, digital.value) == (8, 20, 40.0)
    assert (digital.target.value, digital.gap) == (
        100,
        60.0,
    ) and "Bình Định" in digital.target.source
    assert (
        ind["meeting_points"].value,
        ind["meeting_points"].target.value,
        ind["meeting_points"].gap,
    ) == (1, 14, 13.0)
    assert ind["districts_meeting_online"].value == 50.0  # d-one's fibre school had an outage


def test_roll_ups_by_legacy_district_and_level_and_a_commune_scope(province):
    r = compute(province)
    assert [(g.id, g.name, g.schools) for g in r.grouped["legacy_district"]] == [
        ("d-one", "Huyện Một", 2),
        ("d-two", "Huyện Hai", 2),
    ]
    assert [g.id for g in r.grouped["level"]] == ["mam_non", "tieu_hoc", "thcs", "thpt"]
    assert by_key(r.grouped["legacy_district"][0])["internet"].value == 100.0
    assert (
        "meeting_points" in by_key(r.grouped["legacy_district"][0])
        and by_key(r.grouped["legacy_district"][0])["meeting_points"].target is None
    )
    commune = compute(province, scope="commune:c-mot")
    assert {s.id for s in commune.schools} == {"p-fibre", "p-3g"}
    assert by_key(commune.total)["internet"].value == 100.0
    school = compute(province, scope="school:p-3g")
    assert [s.uplink for s in school.schools] == ["cellular"]


def test_as_of_picks_the_milestone_of_that_year(province):
    ind = by_key(compute(province, as_of=2018).total)
    assert (ind["lab:tieu_hoc"].target.value, ind["lab:tieu_hoc"].target.year) == (95, 2020)
    assert ind["fixed_broadband"].target.year == 2025


@pytest.mark.parametrize(
    "scope, message",
    [
        ("commune:nowhere", "no school run by commune 'nowhere'"),
        ("district:d-one", "district scopes ended"),
        ("school:p-none-x", "no school 'p-none-x' in the registry"),
    ],
)
def test_a_scope_with_no_schools_is_named(province, scope, message):
    with pytest.raises(ReportArgumentError, match=message):
        compute(province, scope=scope)


@pytest.mark.parametrize(
    "text, message",
    [
        ("30", "expected a number and a unit"),
        ("0d", "expected a number"),
        ("-3d", "expected"),
        ("500d", "at most 400d"),
        ("3y", "unit h, d or w"),
    ],
)
def test_bad_periods_are_refused_with_what_is_accepted(text, message):
    with pytest.raises(ReportArgumentError, match=message):
        parse_period(text, NOW)


@pytest.mark.parametrize(
    "text", ["county:x", "commune:", "commune:Bad Id", "district:d-one", "province:x"]
)
def test_bad_scopes_are_refused(text):
    with pytest.raises(ReportArgumentError, match="scope"):
        parse_scope(text)
