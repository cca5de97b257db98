"""``units import`` as a user runs it: --dry-run prints the diff and writes nothing; the real run
writes and says how many schools are still without a commune; a bad file is named row by row
(exit 1) with nothing applied; an unreadable one is refused (exit 2), never a traceback."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.collector import cli
from tests.support.units import UNITS_CSV, config


def _units(tmp_path):
    with sqlite3.connect(tmp_path / "r.sqlite3") as db:
        return db.execute("SELECT code FROM units ORDER BY code").fetchall()


@pytest.mark.slow
def test_dry_run_then_import_then_a_bad_file(tmp_path):
    conf = config(tmp_path)
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    dry = cli("units", "import", "--config", conf, "--dry-run", units)
    assert dry.returncode == 0, dry.stderr
    assert "+ 08044 'Xã Bát Xát' xa in lao-cai" in dry.stdout
    assert "would import units: 6 new, 0 changed, 0 unchanged" in dry.stdout
    assert _units(tmp_path) == []
    schools = tmp_path / "schools.csv"
    schools.write_text(
        "id,name,province,district,level\nlc-a-01,A,lao-cai,bat-xat,thcs\n", encoding="utf-8"
    )
    assert cli("schools", "import", "--config", conf, schools).returncode == 0
    real = cli("units", "import", "--config", conf, units)
    assert real.returncode == 0, real.stderr
    assert "imported units: 6 new" in real.stdout
    assert "1 schools without a commune (chưa gán xã)" in real.stdout
    assert len(_units(tmp_path)) == 6
    units.write_text(
        "code,name,type,parent\n08099,Xã Mới,xa,lao-cai\n08044,Xã Khác,xa,lao-cai\n",
        encoding="utf-8",
    )
    bad = cli("units", "import", "--config", conf, units)
    assert bad.returncode == 1 and "nothing imported: 1 rows wrong" in bad.stdout
    assert "error units.csv:3: code: '08044' is already 'Xã Bát Xát'" in bad.stderr
    assert len(_units(tmp_path)) == 6  # 08099, a good row, was not applied either
    placed = tmp_path / "placed.csv"
    placed.write_text(
        "id,name,province,district,level,commune\n"
        "lc-a-01,A,lao-cai,bat-xat,thcs,08044\n"
        "lc-a-01,A,lao-cai,bat-xat,thcs,08050\n",
        encoding="utf-8",
    )
    two = cli("schools", "import", "--config", conf, placed)
    assert two.returncode == 1 and "nothing imported: 1 rows wrong" in two.stdout
    assert "placed.csv:3: commune: school 'lc-a-01' is in two communes" in two.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("u.csv", "id,label\nx,y\n", "header lacks column(s) code"),
        ("u.xlsx", "plain text", "not an XLSX workbook"),
        ("u.csv", b"\xff\xfecode", "not UTF-8"),
    ],
)
def test_unreadable_units_files_are_refused(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cli("units", "import", "--config", config(tmp_path), path)
    assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr
