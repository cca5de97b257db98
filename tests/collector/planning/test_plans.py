"""Plans with their own areas (``planning.plans``) on the hand-made province merged from the
old Lào Cai (district d-one) and the old Yên Bái (d-two): each old plan is measured on its own
schools against its own targets, the province as a whole beside them; a plan file that is
wrong (its id, its area) stops the report naming plan, file and area. Real InfluxDB; the
registry on SQLite (tests/collector/planning/test_grouping.py runs the axes on PostgreSQL too).
"""

from __future__ import annotations

import pytest

from schoolnet_collector.planning import procurement, readiness
from schoolnet_collector.planning.files import PlanningFileError
from schoolnet_collector.planning.period import ReportArgumentError, parse_period, parse_scope
from schoolnet_collector.planning.plans import (
    DEFAULT_PLAN_ID,
    SAMPLE,
    PlanAreaError,
    UnknownPlan,
    load_plans,
)
from tests.support.planning import (
    NOW,
    PLAN_LAO_CAI,
    PLAN_PROVINCE,
    PLAN_YEN_BAI,
    build_province,
    plan_files,
)


@pytest.fixture()
def merged(tmp_path, influxdb, influx_db_name):
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name)
    yield store, sessions, tmp_path
    engine.dispose()


def ready(province, plans, scope="province", **kw):
    store, sessions, _ = province
    with sessions() as session:
        return readiness.compute(
            store, session, parse_scope(scope), parse_period("2d", NOW), plans=plans, **kw
        )


def needs(province, plans, **kw):
    store, sessions, _ = province
    with sessions() as session:
        return procurement.compute(
            store,
            session,
            parse_scope("province"),
            parse_period("2d", NOW),
            as_of=2018,
            plans=plans,
            **kw,
        )


def internet(group):
    return next(i for i in group.indicators if i.key == "internet")


# --- files -----------------------------------------------------------------------------------


def test_without_plans_the_packaged_targets_are_the_one_plan_for_the_whole_province():
    (plan,) = load_plans()
    assert (plan.id, plan.area) == (DEFAULT_PLAN_ID, None)
    assert plan.targets.target("internet", 2025) is not None


def test_without_plans_the_report_has_the_one_default_plan_for_every_school(merged):
    r = ready(merged, None)
    assert r.plan == DEFAULT_PLAN_ID
    assert [(g.kind, g.id, g.area, g.schools) for g in r.plans] == [
        ("plan", DEFAULT_PLAN_ID, None, 4)
    ]


def test_the_packaged_sample_is_a_plan_for_a_former_province():
    (plan,) = load_plans([SAMPLE])
    assert (plan.id, plan.area) == ("yen-bai-2020", "yen-bai-cu")
    assert "(mẫu)" in plan.name  # it says it is a sample


def test_two_files_with_one_plan_id_name_both(tmp_path):
    first, second = plan_files(tmp_path, PLAN_YEN_BAI, PLAN_YEN_BAI)
    with pytest.raises(PlanningFileError) as err:
        load_plans([first, second])
    assert str(err.value) == (
        f"{second}: plan id 'yen-bai-2020' is already the id of the plan in {first}"
    )


@pytest.mark.parametrize(
    "plan_line, key",
    [
        ('plan: {id: "Yên Bái", name: x, area: yen-bai-cu}', "plan.id"),
        ("plan: {id: yen-bai, name: x, area: ../../etc}", "plan.area"),
        ("plan: {id: yen-bai, name: '', area: yen-bai-cu}", "plan.name"),
        ("plan: {id: yen-bai, area: yen-bai-cu}", "plan.name"),
        ("plan: {id: yen-bai, name: x, area: yen-bai-cu, year: 2020}", "plan.year"),
        ("plan: yen-bai", "plan"),
    ],
)
def test_a_bad_plan_section_names_the_file_and_key(tmp_path, plan_line, key):
    text = PLAN_YEN_BAI.replace(PLAN_YEN_BAI.splitlines()[1], plan_line)
    (path,) = plan_files(tmp_path, text)
    with pytest.raises(PlanningFileError) as err:
        load_plans([path])
    assert str(path) in str(err.value) and key in str(err.value), str(err.value)


# --- a merged province -----------------------------------------------------------------------


def test_each_old_plan_on_its_own_area_against_its_own_targets(merged):
    plans = load_plans(plan_files(merged[2], PLAN_LAO_CAI, PLAN_YEN_BAI))
    r = ready(merged, plans, group_by="legacy_province")
    assert [(g.kind, g.id, g.area, g.schools) for g in r.plans] == [
        ("plan", "lao-cai-2018", "lao-cai-cu", 2),
        ("plan", "yen-bai-2020", "yen-bai-cu", 2),
    ]
    lao_cai, yen_bai = (internet(g) for g in r.plans)
    assert (lao_cai.value, lao_cai.target.value, lao_cai.gap) == (100.0, 100, 0.0)
    assert "Lào Cai 2018" in lao_cai.target.source
    assert (yen_bai.numerator, yen_bai.denominator) == (1, 2)  # p-none has no internet
    assert (yen_bai.value, yen_bai.target.value, yen_bai.gap) == (50.0, 80, 30.0)
    assert "Yên Bái 2020" in yen_bai.target.source
    # the combined figure: every school of the province, beside the plans
    assert (r.total.kind, r.total.schools) == ("province", 4)
    assert (internet(r.total).numerator, internet(r.total).denominator) == (3, 4)
    assert sum(g.schools for g in r.plans) == r.total.schools
    # no plan is for the whole province: the total and the groups use the first one's targets
    assert r.plan == "lao-cai-2018" and internet(r.total).target.value == 100
    as_json = r.as_dict()
    assert [(p["id"], p["area"]) for p in as_json["plans"]] == [
        ("lao-cai-2018", "lao-cai-cu"),
        ("yen-bai-2020", "yen-bai-cu"),
    ]
    assert [g.id for g in r.groups()] == [
        "province",
        "lao-cai-2018",
        "yen-bai-2020",
        "lao-cai-cu",
        "yen-bai-cu",
    ]


def test_a_plan_for_the_whole_province_measures_the_total(merged):
    plans = load_plans(plan_files(merged[2], PLAN_LAO_CAI, PLAN_YEN_BAI, PLAN_PROVINCE))
    r = ready(merged, plans)
    assert r.plan == "lao-cai-2026"  # listed last, but its area is the province
    target = internet(r.total).target
    assert (target.value, target.year, internet(r.total).gap) == (100, 2030, 25.0)
    assert [(g.id, g.schools) for g in r.plans] == [
        ("lao-cai-2018", 2),
        ("yen-bai-2020", 2),
        ("lao-cai-2026", 4),
    ]
    province_plan = r.plans[2]
    assert {i.key for i in province_plan.indicators} >= {"meeting_points"}  # a whole province


def test_one_plan_asked_is_measured_on_its_area_only(merged):
    plans = load_plans(plan_files(merged[2], PLAN_LAO_CAI, PLAN_YEN_BAI))
    r = ready(merged, plans, plan="yen-bai-2020", group_by="commune,legacy_district")
    assert (r.plan, r.total.kind, r.total.id, r.total.area) == (
        "yen-bai-2020",
        "plan",
        "yen-bai-2020",
        "yen-bai-cu",
    )
    assert {s.id for s in r.schools} == {"p-none", "p-thpt"}
    assert r.plans == []  # the plan is the total
    assert (internet(r.total).value, internet(r.total).target.value) == (50.0, 80)
    assert [(g.id, g.schools) for g in r.grouped["commune"]] == [("c-hai", 1), ("unassigned", 1)]
    assert [g.id for g in r.grouped["legacy_district"]] == ["d-two"]
    assert r.as_dict()["total"]["area"] == "yen-bai-cu"


def test_procurement_of_one_plan_counts_its_area_only(merged):
    plans = load_plans(plan_files(merged[2], PLAN_LAO_CAI, PLAN_YEN_BAI))
    whole = needs(merged, plans, group_by="legacy_province")
    lao_cai = needs(merged, plans, plan="lao-cai-2018", group_by="legacy_province")
    yen_bai = needs(merged, plans, plan="yen-bai-2020", group_by="legacy_province")
    assert (whole.plan, lao_cai.plan, yen_bai.plan) == (
        "lao-cai-2018",
        "lao-cai-2018",
        "yen-bai-2020",
    )
    assert {s.id for s in lao_cai.schools} == {"p-fibre", "p-3g"}
    assert {s.id for s in yen_bai.schools} == {"p-none", "p-thpt"}
    assert lao_cai.total.cost + yen_bai.total.cost == whole.total.cost
    assert [g.id for g in yen_bai.grouped["legacy_province"]] == ["yen-bai-cu"]
    assert whole.as_dict()["plan"] == "lao-cai-2018"


# --- what stops a report -----------------------------------------------------------------------


def test_an_unknown_plan_lists_the_plans_there_are(merged):
    plans = load_plans(plan_files(merged[2], PLAN_LAO_CAI, PLAN_YEN_BAI))
    for name in ("yen-bai", "YEN-BAI-2020", "x" * 300):
        with pytest.raises(UnknownPlan) as err:
            ready(merged, plans, plan=name)
        assert isinstance(err.value, ReportArgumentError)
        assert "no such plan; the plans are: lao-cai-2018, yen-bai-2020" in str(err.value)
        assert len(str(err.value)) < 200
    with pytest.raises(UnknownPlan):
        needs(merged, plans, plan="yen-bai")


@pytest.mark.parametrize(
    "area, reason",
    [
        ("ha-giang-cu", "is not a unit in the registry; import the units file"),
        ("c-mot", "is a unit of type 'xa'; a plan's area is a province or a former province"),
        ("d-two", "is a unit of type 'huyen'"),
    ],
)
def test_a_plan_whose_area_is_not_a_province_names_plan_file_and_area(merged, area, reason):
    wrong = PLAN_YEN_BAI.replace("area: yen-bai-cu", f"area: {area}")
    good, bad = plan_files(merged[2], PLAN_LAO_CAI, wrong)
    plans = load_plans([good, bad])
    # whichever plan is asked: a wrong plan is a wrong configuration
    for plan in (None, "lao-cai-2018"):
        for compute in (ready, needs):
            with pytest.raises(PlanAreaError) as err:
                compute(merged, plans, plan=plan)
            message = str(err.value)
            assert message.startswith(f"plan 'yen-bai-2020' ({bad}): its area {area!r}")
            assert reason in message


def test_plans_before_the_units_are_imported_say_to_import_them(tmp_path, influxdb, influx_db_name):
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name, placed=False)
    plans = load_plans(plan_files(tmp_path, PLAN_LAO_CAI))
    try:
        with pytest.raises(PlanAreaError, match="'lao-cai-cu' is not a unit in the registry"):
            ready((store, sessions, tmp_path), plans)
    finally:
        engine.dispose()


def test_a_plan_outside_the_scope_is_a_wrong_request(merged):
    plans = load_plans(plan_files(merged[2], PLAN_LAO_CAI, PLAN_YEN_BAI))
    with pytest.raises(ReportArgumentError) as err:
        ready(merged, plans, scope="commune:c-mot", plan="yen-bai-2020")
    assert str(err.value) == (
        "plan 'yen-bai-2020': no school of its area 'yen-bai-cu' is in scope commune:c-mot"
    )
    inside = ready(merged, plans, scope="school:p-none", plan="yen-bai-2020")
    assert inside.total.schools == 1
