"""The simulator's equipment file for the planners: every device with its year and room, and only
as CSV."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

from schoolnet_collector.simulator.__main__ import main as simulate
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.profile_file import load_profile

pytestmark = pytest.mark.timeout(120)


def test_equipment_file_lists_every_device_with_its_year_and_room(tmp_path, capsys):
    out = tmp_path / "devices.csv"
    assert (
        simulate(["--scale", "0.05", "--seed", "2", "--no-publish", "--export-devices", str(out)])
        == 0
    )
    assert f"devices written to {out}" in capsys.readouterr().out
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    fleet = generate_fleet(load_profile("lao-cai-2018"), 0.05, 2)
    expected = {(s.id, d.id): d for s in fleet for d in s.devices}
    assert {(r["school"], r["device"]) for r in rows} == set(expected)  # broken ones too
    for r in rows:
        d = expected[(r["school"], r["device"])]
        assert (r["kind"], int(r["purchase_year"])) == (d.kind, d.year)
        assert r["room"] == (f"lab{d.room}" if d.kind == "lab_pc" else "")


def test_export_devices_must_be_csv(tmp_path, capsys):
    assert simulate(["--no-publish", "--export-devices", str(tmp_path / "d.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "--export-devices" in err and "the file name must end in .csv" in err
    assert not (tmp_path / "d.xlsx").exists()


# -- the two-tier files: units, schools with their communes, plans ----------------------------


def _collector(main_args):
    from schoolnet_collector.cli import main as collector

    return collector(main_args)


@pytest.fixture()
def exported(tmp_path, capsys):
    """The merged province's units, schools and plans, written by the CLI."""
    out = {"units": tmp_path / "units.csv", "schools": tmp_path / "schools.csv"}
    out["plans"] = tmp_path / "plans"
    argv = ["--profile", "lao-cai-yen-bai-2025", "--no-publish", "--seed", "5"]
    argv += ["--export-units", str(out["units"]), "--export-schools", str(out["schools"])]
    assert simulate([*argv, "--export-plans", str(out["plans"])]) == 0
    said = capsys.readouterr().out
    assert "118 communes (118 with made-up names), 1300 schools placed" in said
    assert "old provinces: lao-cai-cu, yen-bai-cu (made up)" in said
    assert f"139 units written to {out['units']}" in said
    assert f"2 plans written to {out['plans']}" in said
    return out


def test_units_schools_and_plans_import_into_a_real_registry(tmp_path, exported, registry_url):
    from sqlalchemy import select

    from schoolnet_collector.planning.plans import area_of, load_plans
    from schoolnet_collector.registry.db import make_engine, session_factory
    from schoolnet_collector.registry.models import School, Unit
    from schoolnet_collector.registry.units import managing_body

    conf = tmp_path / "collector.toml"
    conf.write_text(f'[registry]\nurl = "{registry_url}"\n', encoding="utf-8")
    assert _collector(["units", "import", "--config", str(conf), str(exported["units"])]) == 0
    assert _collector(["schools", "import", "--config", str(conf), str(exported["schools"])]) == 0
    engine = make_engine(registry_url)
    try:
        with session_factory(engine)() as s:
            units = {u.code: u for u in s.scalars(select(Unit))}
            schools = list(s.scalars(select(School)))
            fleet = generate_fleet(load_profile("lao-cai-yen-bai-2025"), 1.0, 5)
            assert len(units) == 139 and units["lao-cai"].type == "tinh"
            assert {c: units[c].parent for c in ("lao-cai-cu", "yen-bai-cu")} == {
                "lao-cai-cu": "lao-cai",
                "yen-bai-cu": "lao-cai",
            }
            assert (units["sa-pa"].type, units["sa-pa"].parent) == ("thi_xa", "lao-cai-cu")
            assert (units["van-chan"].type, units["van-chan"].parent) == ("huyen", "yen-bai-cu")
            communes = [u for u in units.values() if u.type in ("xa", "phuong")]
            assert len(communes) == 118 and {u.parent for u in communes} == {"lao-cai"}
            assert len(schools) == 1300 and all(x.commune in units for x in schools)
            by_id = {x.id: x for x in schools}
            for sim in fleet:
                school = by_id[sim.id]
                assert (school.commune, school.legacy_province) == (
                    sim.commune,
                    sim.legacy_province,
                )
                assert school.legacy_district == sim.district
                assert managing_body(school) == (
                    "commune" if sim.level in ("mam_non", "tieu_hoc", "thcs") else "province"
                )
            plans = load_plans(sorted(exported["plans"].glob("*.yaml")))
            areas = {p.id: area_of(s, p) for p in plans}
            held = {pid: sum(a.holds()(x) for x in schools) for pid, a in areas.items()}
            assert held == {"lao-cai-2018": 646, "yen-bai-2020": 654}
    finally:
        engine.dispose()
    # A second run of both imports changes nothing and succeeds.
    assert _collector(["units", "import", "--config", str(conf), str(exported["units"])]) == 0


def test_the_plans_snippet_lists_the_plans_in_the_profiles_order(exported):
    import tomllib

    from schoolnet_collector.core.config import PlanningConfig

    snippet = tomllib.loads((exported["plans"] / "plans.toml").read_text(encoding="utf-8"))
    listed = PlanningConfig.model_validate(snippet["planning"]).plans
    assert [p.name for p in listed] == ["lao-cai-2018.yaml", "yen-bai-2020.yaml"]
    assert all(p.is_absolute() and p.is_file() for p in listed)


def test_a_school_file_alone_stays_of_the_old_kind(tmp_path):
    path = tmp_path / "schools.csv"
    assert (
        simulate(
            ["--profile", "lao-cai-yen-bai-2025", "--no-publish", "--export-schools", str(path)]
        )
        == 0
    )
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert "commune" not in header  # a registry without the units would refuse it whole


def test_lao_cai_exports_its_60_communes_and_nine_districts(tmp_path, capsys):
    units = tmp_path / "units.csv"
    assert simulate(["--no-publish", "--export-units", str(units)]) == 0
    rows = list(csv.DictReader(units.open(encoding="utf-8")))
    kinds = Counter(r["type"] for r in rows)
    assert kinds == {
        "tinh": 1,
        "tinh_cu": 1,
        "huyen": 7,
        "thi_xa": 1,
        "thanh_pho_thuoc_tinh": 1,
        "xa": 52,
        "phuong": 8,
    }
    assert {r["parent"] for r in rows if r["type"] in ("huyen", "thi_xa")} == {"lao-cai-cu"}


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["--export-units", "units.xlsx"],
            "--export-units units.xlsx: the file name must end in .csv",
        ),
        (
            ["--export-units", "{tmp}/no-such-dir/units.csv"],
            "--export-units {tmp}/no-such-dir/units.csv: ",
        ),
        (["--export-plans", "{tmp}/file/plans"], "--export-plans {tmp}/file/plans: "),
    ],
)
def test_a_wrong_export_target_exits_2(tmp_path, capsys, argv, message):
    (tmp_path / "file").write_text("", encoding="utf-8")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert simulate(["--profile", "lao-cai-yen-bai-2025", "--no-publish", *argv]) == 2
    assert message.format(tmp=tmp_path) in capsys.readouterr().err


def test_export_units_needs_a_two_tier_profile(edited, capsys, tmp_path):
    from tests.collector.simulator.conftest import LAO_CAI

    def format_1(d):
        d["format"] = 1

    path = edited(LAO_CAI, format_1)
    assert (
        simulate(["--profile", path, "--no-publish", "--export-units", str(tmp_path / "u.csv")])
        == 2
    )
    assert "is format 1 and has no communes" in capsys.readouterr().err
    assert not (tmp_path / "u.csv").exists()
