"""The school file's ``commune`` column, on SQLite and PostgreSQL: schools placed in the
registry's communes with their managing body; a file of that kind is all or nothing (a school
in two communes, an unknown commune, a multi-level school with no body named: nothing is
written); a file without the column keeps loading as it always has."""

from __future__ import annotations

from sqlalchemy import select

from schoolnet_collector.registry.db import session_factory
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.schools import import_schools
from schoolnet_collector.registry.unit_import import apply_units, plan_units
from schoolnet_collector.registry.units import managing_body, unassigned_schools
from tests.support.units import UNITS_CSV

HEAD = "id,name,province,district,level,commune,managing_body,legacy_province\n"
GOOD = (
    "lc-th-01,TH Bát Xát,lao-cai,bat-xat,tieu_hoc,08044,,\n"
    "lc-thpt-01,THPT Sa Pa,lao-cai,sa-pa,thpt,08050,,\n"
    "lc-lc-01,TH&THCS Sa Pa,lao-cai,sa-pa,lien_cap,08050,commune,\n"
    "yb-th-01,TH Yên Bái,lao-cai,van-yen,tieu_hoc,,,yen-bai\n"
)


def _import(engine, tmp_path, text, units=True):
    with session_factory(engine)() as s:
        if units:
            (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
            apply_units(s, plan_units(s, tmp_path / "units.csv"))
        (tmp_path / "schools.csv").write_text(text, encoding="utf-8")
        return import_schools(s, tmp_path / "schools.csv")


def _schools(engine):
    with session_factory(engine)() as s:
        return {
            x.id: (x.commune, managing_body(x), x.legacy_district, x.legacy_province)
            for x in s.scalars(select(School))
        }


def test_schools_are_placed_in_communes_with_their_managing_body(engine, tmp_path):
    result = _import(engine, tmp_path, HEAD + GOOD)
    assert (result.imported, result.errors) == (4, [])
    assert _schools(engine) == {
        "lc-th-01": ("08044", "commune", "bat-xat", "lao-cai"),
        "lc-thpt-01": ("08050", "province", "sa-pa", "lao-cai"),
        "lc-lc-01": ("08050", "commune", "sa-pa", "lao-cai"),
        "yb-th-01": (None, "commune", "van-yen", "yen-bai"),  # chưa gán xã
    }
    with session_factory(engine)() as s:
        assert unassigned_schools(s) == 1
        assert s.get(School, "lc-th-01").district == "bat-xat"  # the old name still reads


def test_a_file_with_communes_is_all_or_nothing(engine, tmp_path):
    bad = (
        "lc-x-01,X,lao-cai,bat-xat,thcs,99999,,\n"
        "lc-th-01,TH Bát Xát,lao-cai,bat-xat,tieu_hoc,08050,,\n"
        "lc-y-01,Y,lao-cai,bat-xat,lien_cap,08044,,\n"
        "lc-z-01,Z,lao-cai,bat-xat,thcs,08044,district,\n"
        "lc-w-01,W,lao-cai,bat-xat,thcs,lao-cai,,\n"
        "lc-v-01,V,lao-cai,bat-xat,thcs,=1+1,,\n"
        "lc-u-01,U,lao-cai,bat-xat,thcs,08044,,Yên Bái\n"
    )
    result = _import(engine, tmp_path, HEAD + GOOD + bad)
    assert result.imported == 0 and result.all_or_nothing
    assert result.errors == [
        "schools.csv:6: commune: '99999' is not a commune in the registry (run 'units import' first)",
        "schools.csv:7: commune: school 'lc-th-01' is in two communes (08044 at line 2, 08050 here)",
        (
            "schools.csv:8: managing_body: level 'lien_cap' has no managing-body rule; "
            "say commune or province in this column"
        ),
        "schools.csv:9: managing_body: 'district' is not one of commune, province",
        "schools.csv:10: commune: 'lao-cai' is not a commune in the registry (run 'units import' first)",
        "schools.csv:11: commune: '=1+1' is not a unit code",
        "schools.csv:12: legacy_province: 'Yên Bái' must be an id (lowercase letters, digits, '-', '_')",
    ]
    assert _schools(engine) == {}  # not even the four good rows


def test_a_later_file_without_communes_keeps_the_placements(engine, tmp_path):
    _import(engine, tmp_path, HEAD + GOOD)
    old = "id,name,province,district,level\nlc-th-01,TH Bát Xát mới,lao-cai,bat-xat,tieu_hoc\nBad Id,B,lao-cai,x,thcs\n"
    result = _import(engine, tmp_path, old, units=False)
    assert result.imported == 1 and len(result.errors) == 1  # the old kind: bad rows skipped
    assert _schools(engine)["lc-th-01"] == ("08044", "commune", "bat-xat", "lao-cai")
