"""``schools import`` as a user runs it: good rows of a school file are imported even when others
are wrong (each named by line, exit 1); a file that cannot be read is refused (exit 2)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.support.collector import cli


@pytest.mark.slow
def test_schools_import_keeps_good_rows_and_names_bad_lines(tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text(f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n')
    csv = tmp_path / "schools.csv"
    csv.write_text(
        "id,name,province,district,level\n"
        "lc-a-01,Trường A,lao-cai,bat-xat,thcs\n"
        "LC B,Trường B,lao-cai,bat-xat,thcs\n"
        "lc-c-01,,lao-cai,sa-pa,thcs\n"
        "lc-d-01,Trường D,lao-cai,sa-pa,university\n"
        "lc-a-01,Trường A again,lao-cai,bat-xat,thcs\n"
        "lc-e-01,Trường E,lao-cai,sa-pa,tieu_hoc\n",
        encoding="utf-8",
    )
    result = cli("schools", "import", "--config", conf, csv)
    assert result.returncode == 1
    assert "imported 2 schools (4 rows skipped)" in result.stdout
    for expected in (
        "schools.csv:3: id 'LC B'",
        "schools.csv:4: name is empty",
        "schools.csv:5: level 'university'",
        "schools.csv:6: id 'lc-a-01' appears twice",
    ):
        assert expected in result.stderr
    with sqlite3.connect(tmp_path / "r.sqlite3") as db:
        assert db.execute("SELECT id, name FROM schools ORDER BY id").fetchall() == [
            ("lc-a-01", "Trường A"),
            ("lc-e-01", "Trường E"),
        ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("schools.csv", "id,name\nx,y\n", "header lacks column(s) province, district, level"),
        ("schools.xlsx", "", "unknown format '.xlsx'"),
        ("schools.yaml", "a: [1\n", "not valid YAML"),
        ("schools.yaml", "just a string\n", "expected a list of schools"),
        ("schools.csv", b"\xff\xfeid", "not UTF-8"),
    ],
)
def test_schools_import_rejects_unreadable_files(tmp_path, name, content, expected):
    conf = tmp_path / "collector.toml"
    conf.write_text(f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n')
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cli("schools", "import", "--config", conf, path)
    assert result.returncode == 2 and expected in result.stderr and "Traceback" not in result.stderr


@pytest.mark.slow
def test_schools_import_counts_sites_apart_and_refuses_a_wrong_site_whole(tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text(
        f'province = "lao-cai"\n[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n',
        encoding="utf-8",
    )
    csv = tmp_path / "schools.csv"
    head = "id,name,province,district,level,Thuộc đơn vị\n"
    school = "lc-a-01,Trường A,lao-cai,bat-xat,thcs,\n"
    csv.write_text(head + school + "so-gddt-lab,Phòng máy Sở,lao-cai,lao-cai,,lao-cai\n")
    result = cli("schools", "import", "--config", conf, csv)
    assert result.returncode == 0, result.stderr
    assert "imported 1 schools and 1 site(s) of units (0 rows skipped)" in result.stdout
    csv.write_text(head + school.replace("Trường A", "Trường A mới") + "x,X,lao-cai,sa-pa,,sa-pa\n")
    wrong = cli("schools", "import", "--config", conf, csv)
    assert wrong.returncode == 1
    assert "schools.csv:3: site_of: 'sa-pa' is not a province or commune" in wrong.stderr
    assert "nothing imported: 1 rows wrong (the file has a commune or site_of column)" in (
        wrong.stdout
    )
    with sqlite3.connect(tmp_path / "r.sqlite3") as db:
        assert db.execute("SELECT id, name, site_of FROM schools ORDER BY id").fetchall() == [
            ("lc-a-01", "Trường A", None),
            ("so-gddt-lab", "Phòng máy Sở", "lao-cai"),
        ]
