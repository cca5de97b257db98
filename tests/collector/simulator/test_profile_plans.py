"""A profile's plans: the merged profile carries both old provinces' plans; a plan on an area
the profile does not have, or with a target the collector would refuse, is named by key."""

from __future__ import annotations

import pytest

from schoolnet_collector.simulator.__main__ import main as simulate
from schoolnet_collector.simulator.profile_file import load_profile
from schoolnet_collector.simulator.schema_reader import ProfileError
from tests.collector.simulator.conftest import LAO_CAI, MERGED


def _internet(d, plan=0):
    return d["plans"][plan]["targets"]["internet"]


CASES = [
    (
        "area unknown",
        lambda d: d["plans"][1].update(area="ha-giang-cu"),
        "plans[1].area",
        (
            "'ha-giang-cu' is not a legacy province of this profile nor its province; "
            "the areas are: lao-cai, lao-cai-cu, yen-bai-cu"
        ),
    ),
    (
        "area a district",
        lambda d: d["plans"][0].update(area="bac-ha"),
        "plans[0].area",
        "'bac-ha' is not a legacy province",
    ),
    ("area missing", lambda d: d["plans"][0].pop("area"), "plans[0].area", "missing key"),
    (
        "duplicate plan id",
        lambda d: d["plans"][1].update(id="lao-cai-2018"),
        "plans[1].id",
        "duplicate plan id 'lao-cai-2018'",
    ),
    (
        "plan id not an id",
        lambda d: d["plans"][0].update(id="Kế hoạch"),
        "plans[0].id",
        "not a plan id",
    ),
    ("plan without a name", lambda d: d["plans"][0].pop("name"), "plans[0].name", "missing key"),
    (
        "unknown target key",
        lambda d: _internet(d).update(goal=100),
        "plans[0].targets.internet.goal",
        "unknown key; a target has milestones, unit, op, source",
    ),
    (
        "milestone not a year",
        lambda d: _internet(d).update(milestones={"soon": 100}),
        "plans[0].targets.internet.milestones.soon",
        "'soon' is not a year",
    ),
    (
        "milestone not a number",
        lambda d: _internet(d).update(milestones={2025: "all"}),
        "plans[0].targets.internet.milestones.2025",
        "must be a number",
    ),
    (
        "no milestones",
        lambda d: _internet(d).update(milestones={}),
        "plans[0].targets.internet.milestones",
        "must be a non-empty mapping",
    ),
    (
        "target without a source",
        lambda d: _internet(d).pop("source"),
        "plans[0].targets.internet.source",
        "missing key",
    ),
    (
        "unknown unit",
        lambda d: _internet(d).update(unit="percentage"),
        "plans[0].targets.internet.unit",
        "'percentage': use percent or count",
    ),
    ("unknown op", lambda d: _internet(d).update(op=">"), "plans[0].targets.internet.op", "use >="),
    (
        "no targets",
        lambda d: d["plans"][0].update(targets={}),
        "plans[0].targets",
        "must be a non-empty mapping",
    ),
    (
        "target not a mapping",
        lambda d: d["plans"][0]["targets"].update(internet=100),
        "plans[0].targets.internet",
        "must be a mapping",
    ),
    ("plans not a list", lambda d: d.update(plans={"a": 1}), "plans", "non-empty list"),
]


@pytest.mark.parametrize("name,change,key,words", CASES, ids=[c[0] for c in CASES])
def test_a_wrong_plan_names_the_key_and_the_reason(edited, name, change, key, words):
    with pytest.raises(ProfileError) as caught:
        load_profile(edited(MERGED, change))
    assert caught.value.key == key
    assert words in caught.value.problem


def test_the_merged_profile_has_one_plan_per_old_province():
    plans = load_profile("lao-cai-yen-bai-2025").plans
    assert [(p.id, p.area) for p in plans] == [
        ("lao-cai-2018", "lao-cai-cu"),
        ("yen-bai-2020", "yen-bai-cu"),
    ]
    body = plans[1].targets_file
    assert body["format"] == 1 and body["plan"] == {
        "id": "yen-bai-2020",
        "name": plans[1].name,
        "area": "yen-bai-cu",
    }
    assert body["targets"]["internet"] == {  # type: ignore[index]
        "milestones": {2025: 100.0},
        "unit": "percent",
        "op": ">=",
        "source": "Yên Bái 2020-2025 (made up)",
    }


def test_a_one_province_profile_may_plan_for_itself_only(edited):
    plan = {"id": "lc", "name": "Lào Cai", "targets": MERGED["plans"][0]["targets"]}
    ok = load_profile(edited(LAO_CAI, lambda d: d.update(plans=[dict(plan, area="lao-cai-cu")])))
    assert [p.area for p in ok.plans] == ["lao-cai-cu"]
    with pytest.raises(ProfileError) as caught:
        load_profile(edited(LAO_CAI, lambda d: d.update(plans=[dict(plan, area="yen-bai-cu")])))
    assert caught.value.key == "plans[0].area"
    assert "the areas are: lao-cai, lao-cai-cu" in caught.value.problem


def test_the_cli_refuses_a_wrong_plan_with_exit_2(edited, capsys):
    path = edited(MERGED, lambda d: d["plans"][1].update(area="ha-giang-cu"))
    assert simulate(["--profile", path, "--no-publish"]) == 2
    assert "plans[1].area: 'ha-giang-cu' is not a legacy province" in capsys.readouterr().err
