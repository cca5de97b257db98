"""The planners' files (targets, scoring rules, prices) and the scoring rules themselves:
packaged defaults, a Sở's own copy, and clear errors for a wrong file. No services needed."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning.files import PlanningFileError
from schoolnet_collector.planning.prices import load_prices
from schoolnet_collector.planning.scoring import DeviceFacts, assess, load_scoring
from schoolnet_collector.planning.targets import load_targets

GIB = 1024**3


def test_default_targets_are_the_plans_figures_with_their_source():
    t = load_targets()
    expected = {  # DOMAIN brief, "Targets that readiness is measured against"
        ("internet", 2025): (100, "Thái Nguyên"),
        ("fixed_broadband", 2025): (90, "Thái Nguyên"),
        ("fixed_broadband", 2030): (95, "Thái Nguyên"),
        ("lab_tieu_hoc", 2020): (95, "Lào Cai"),
        ("lab_tieu_hoc", 2025): (100, "Lào Cai"),
        ("lab_thcs", 2020): (100, "Lào Cai"),
        ("lab_mam_non", 2020): (50, "Lào Cai"),
        ("lab_mam_non", 2025): (70, "Lào Cai"),
        ("digital_record", 2025): (80, "Bình Định"),
        ("digital_record", 2030): (100, "Bình Định"),
        ("meeting_points", 2020): (14, "Quảng Ngãi"),
        ("districts_meeting_online", 2025): (95, "Lào Cai"),
    }
    for (key, year), (value, source) in expected.items():
        target = t.target(key, year)
        assert (target.value, target.year) == (value, year), key
        assert source in target.source, key
    assert t.target("lab_tieu_hoc", 2019).year == 2020  # the next milestone
    assert t.target("lab_tieu_hoc", 2031).year == 2025  # the last, once all have passed
    assert t.target("nothing", 2020) is None


def test_gap_is_the_shortfall_and_zero_once_met():
    target = load_targets().target("internet", 2025)
    assert (target.gap(75.0), target.gap(100.0), target.gap(None)) == (25.0, 0.0, None)


@pytest.mark.parametrize(
    "text, message",
    [
        ("format: 2\ntargets: {}\n", "format must be 1"),
        ("- a list\n", "expected a mapping"),
        (
            "format: 1\ntargets: {internet: {milestones: {2025: 100}}}\n",
            "targets.internet.source: Field required",
        ),
        (
            "format: 1\ntargets: {internet: {milestones: {2025: 100}, source: x, op: '>'}}\n",
            "targets.internet.op",
        ),
        (
            "format: 1\ntargets: {}\nparameters: {lab_min_working_pcs: 0}\n",
            "parameters.lab_min_working_pcs",
        ),
        ("format: 1\ntargets: {}\nextra: 1\n", "extra: unknown key"),
        ("format: 1\ntargets: [\n", "not valid YAML"),
    ],
)
def test_a_wrong_targets_file_names_the_key(tmp_path, text, message):
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanningFileError, match=message) as err:
        load_targets(path)
    assert str(path) in str(err.value)


def test_missing_scoring_and_price_files_are_named(tmp_path):
    with pytest.raises(PlanningFileError, match=r"nope.yaml: cannot read"):
        load_scoring(tmp_path / "nope.yaml")
    bad = tmp_path / "prices.yaml"
    bad.write_text(
        "format: 1\nas_of: '2025'\nitems: {pc: -1, lab_room_fixed: 0, projector: 1, board: 1}\n"
    )
    with pytest.raises(PlanningFileError, match=r"items.pc: Input should be greater than 0"):
        load_prices(bad)


def test_default_prices_are_dated_assumptions_in_vnd():
    p = load_prices()
    assert p.currency == "VND" and p.as_of and "tender" in p.note
    assert p.lab_room(25) == p.items.lab_room_fixed + 25 * p.items.pc


def facts(**kw) -> DeviceFacts:
    base = {
        "school": "s",
        "device": "pc",
        "kind": "lab_pc",
        "reports": 10,
        "school_reporting": True,
    }
    return DeviceFacts(**{**base, **kw})


def test_end_of_life_starts_the_year_after_the_configured_life():
    rules = load_scoring()
    assert rules.pc.life_years == 8
    at_life = assess(facts(purchase_year=2010), rules, as_of=2018)
    past = assess(facts(purchase_year=2009), rules, as_of=2018)
    assert (at_life.verdict, at_life.end_of_life_year) == ("ok", 2019)
    assert (past.verdict, [r.code for r in past.reasons]) == ("replace", ["end_of_life"])
    assert past.score == rules.points.end_of_life


def test_the_bios_date_wins_over_the_purchase_year():
    a = assess(facts(purchase_year=2015, bios_year=2008), load_scoring(), as_of=2018)
    assert a.age_years == 10 and "BIOS" in a.reasons_text("en")


def test_unknown_facts_fire_no_rule():
    a = assess(facts(reports=0, school_reporting=False), load_scoring(), as_of=2018)
    assert (a.score, a.verdict, a.age_years) == (0, "ok", None)


def test_thresholds_and_points_come_from_the_file(tmp_path):
    path = tmp_path / "scoring.yaml"
    path.write_text(
        "format: 1\npc: {min_ram_bytes: 4294967296}\npoints: {ram_low: 60}\n", encoding="utf-8"
    )
    rules = load_scoring(path)
    a = assess(facts(ram_bytes=2 * GIB), rules, as_of=2018)
    assert (a.verdict, a.reasons_text("en")) == (
        "replace",
        "RAM 2.0 GiB, below the minimum 4.0 GiB",
    )
    assert assess(facts(ram_bytes=2 * GIB), load_scoring(), as_of=2018).verdict == "ok"


def test_a_wrong_scoring_file_names_the_key(tmp_path):
    path = tmp_path / "scoring.yaml"
    path.write_text(
        "format: 1\nlab_replace_share: 2\npoints: {end_of_life: lots}\n", encoding="utf-8"
    )
    with pytest.raises(PlanningFileError) as err:
        load_scoring(path)
    assert "lab_replace_share" in str(err.value) and "points.end_of_life" in str(err.value)
