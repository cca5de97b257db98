"""The replacement rules: end of life from the configured life, the BIOS date before the purchase
year, no rule on unknown facts, thresholds and points from a Sở's own file, a wrong file named."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning.files import PlanningFileError
from schoolnet_collector.planning.scoring import DeviceFacts, assess, load_scoring

GIB = 1024**3


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
