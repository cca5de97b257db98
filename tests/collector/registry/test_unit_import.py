"""``units import`` against the registry, on SQLite and PostgreSQL: a good file is applied with
its parents first and a second run changes nothing; any bad row (each hostile case a planner's
copy can hold) is named with its row and column and nothing at all is written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.models import Unit
from schoolnet_collector.registry.unit_import import apply_units, plan_units
from tests.support.units import UNITS_CSV, UNITS_CSV_VI


@pytest.fixture(scope="module")
def one_engine(tmp_path_factory):
    """One SQLite registry for the many bad files: none of them may write to it (each test
    checks it is still empty), so they can share it and keep the fast suite fast."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('units') / 'r.sqlite3'}")
    migrate(engine)
    yield engine
    engine.dispose()


def _plan(engine, tmp_path, text, name="units.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with session_factory(engine)() as s:
        return plan_units(s, path), s


def _apply(engine, tmp_path, text):
    path = tmp_path / "units.csv"
    path.write_text(text, encoding="utf-8")
    with session_factory(engine)() as s:
        plan = plan_units(s, path)
        assert plan.errors == []
        apply_units(s, plan)
    return plan


def _units(engine):
    with session_factory(engine)() as s:
        return {u.code: (u.name, u.type, u.parent) for u in s.scalars(select(Unit))}


def test_a_good_file_is_applied_and_a_second_run_changes_nothing(engine, tmp_path):
    first = _apply(engine, tmp_path, UNITS_CSV)
    assert len(first.added) == 6 and first.changed == []
    assert _units(engine)["08044"] == ("Xã Bát Xát", "xa", "lao-cai")
    assert _units(engine)["bat-xat"] == ("Huyện Bát Xát", "huyen", "lao-cai-cu")
    with session_factory(engine)() as s:
        assert s.get(Unit, "yen-bai-cu").valid_to == date(2025, 6, 30)
    again = _apply(engine, tmp_path, UNITS_CSV)
    assert (again.added, again.changed, again.unchanged) == ([], [], 6)


def test_the_dry_run_diff_names_new_and_changed_units(engine, tmp_path):
    _apply(engine, tmp_path, UNITS_CSV)
    plan, _ = _plan(engine, tmp_path, UNITS_CSV_VI)  # Vietnamese headers, BOM, dd/mm/yyyy
    assert plan.errors == [] and plan.added == []
    assert plan.diff_lines() == []  # the same units in other words: nothing to change
    moved = UNITS_CSV.replace(
        "08050,Phường Sa Pa,phuong,lao-cai,2025-07-01,",
        "08050,Phường Sa Pa,xa,lao-cai,2025-07-01,2026-12-31",
    )
    plan, _ = _plan(engine, tmp_path, moved + "08099,Xã Mới,xã,lao-cai,,\n")
    assert plan.diff_lines() == [
        "+ 08099 'Xã Mới' xa in lao-cai",
        "~ 08050 type: 'phuong' -> 'xa'; valid_to: None -> datetime.date(2026, 12, 31)",
    ]
    assert "08099" not in _units(engine)  # planning writes nothing


HEAD = "code,name,type,parent\nlao-cai,Tỉnh Lào Cai,tinh,\n"
GOOD = "code,name,type,parent,valid_from,valid_to\nlao-cai,Tỉnh Lào Cai,tinh,,,\n08044,Xã Bát Xát,xa,lao-cai,,\n"


@pytest.mark.parametrize(
    "rows,expected",
    [
        (
            "x1,=HYPERLINK(1),xa,lao-cai\n",
            "units.csv:4: name: '=HYPERLINK(1)' looks like a spreadsheet formula",
        ),
        ("x1,+1-1,xa,lao-cai\n", "units.csv:4: name: '+1-1' looks like a spreadsheet formula"),
        ("@sum,Xã,xa,lao-cai\n", "units.csv:4: code: '@sum' looks like a spreadsheet formula"),
        (
            '"x1\nx2",Xã,xa,lao-cai\n',
            "units.csv:4: code: 'x1\\nx2' contains a line break or control character",
        ),
        ('x1,"Xã\rBát",xa,lao-cai\n', "units.csv:4: name: 'Xã\\nBát' contains a line break"),
        ("X 1,Xã,xa,lao-cai\n", "units.csv:4: code: 'X 1' must be lowercase letters"),
        (",Xã,xa,lao-cai\n", "units.csv:4: code: is empty"),
        ("x1,,xa,lao-cai\n", "units.csv:4: name: is empty"),
        ("x1,Xã,village,lao-cai\n", "units.csv:4: type: 'village' is not one of tinh"),
        ("x1,Xã,xa,lao-cai\nx1,Xã,xa,lao-cai\n", "units.csv:5: code: 'x1' appears twice (row 4)"),
        (
            "x1,Xã A,xa,lao-cai\nx1,Xã B,xa,lao-cai\n",
            "units.csv:5: code: 'x1' reused with another name (row 4)",
        ),
        (
            "x1,Xã,xa,ha-giang\n",
            "units.csv:4: parent: 'ha-giang' is neither in the file nor in the registry",
        ),
        (
            "x1,Xã,xa,\n",
            "units.csv:4: parent: a unit of type xa needs a parent of type tinh or thanh_pho",
        ),
        ("x1,Xã,xa,x1\n", "units.csv:4: parent: 'x1' cannot be its own parent"),
        (
            "c1,C1,tinh_cu,c2\nc2,C2,tinh_cu,c1\n",
            "units.csv:4: parent: parents form a cycle: c1 -> c2 -> c1",
        ),
        (
            "h1,H1,huyen,lao-cai\n",
            "units.csv:4: parent: 'lao-cai' is of type tinh; a huyen sits in a tinh_cu",
        ),
        (
            "p2,P2,tinh,lao-cai\n",
            "units.csv:4: parent: a unit of type tinh has no parent (found 'lao-cai')",
        ),
        ("x1,Xã,xa,lao-cai,31/02/2025\n", "units.csv:4: valid_from: '31/02/2025' is not a date"),
        (
            "x1,Xã,xa,lao-cai,2025-07-01,2025-06-30\n",
            "units.csv:4: valid_to: 2025-06-30 is before valid_from 2025-07-01",
        ),
    ],
)
def test_each_bad_row_is_named_and_nothing_is_applied(one_engine, tmp_path, rows, expected):
    engine = one_engine
    plan, _ = _plan(engine, tmp_path, GOOD + rows)
    assert len(plan.errors) >= 1 and plan.errors[0].startswith(expected), plan.errors
    assert plan.rows == [] and plan.added == []
    assert _units(engine) == {}  # the good rows were not applied either


def test_a_code_in_the_registry_is_not_reused_with_another_name(engine, tmp_path):
    _apply(engine, tmp_path, UNITS_CSV)
    plan, _ = _plan(engine, tmp_path, HEAD + "08044,Xã Khác,xa,lao-cai\n")
    assert plan.errors == [
        "units.csv:3: code: '08044' is already 'Xã Bát Xát' in the registry, not 'Xã Khác'"
    ]
    with session_factory(engine)() as s:
        assert s.scalar(select(func.count(Unit.code))) == 6
        assert s.get(Unit, "08044").name == "Xã Bát Xát"


def test_a_commune_may_sit_under_a_province_already_in_the_registry(engine, tmp_path):
    _apply(engine, tmp_path, HEAD)
    plan = _apply(engine, tmp_path, "code,name,type,parent\n08044,Xã Bát Xát,xa,lao-cai\n")
    assert [u.code for u in plan.added] == ["08044"]
