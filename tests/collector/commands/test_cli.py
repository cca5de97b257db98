"""`schoolnet-collector` as a user runs it: wrong config, files and arguments give one clear
message and exit 2; good rows of a school file are imported even when others are wrong."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from schoolnet_collector.core.config import ConfigError, load_settings

# Each test runs the installed command as a user would: a new collector process. Registering
# the commands imports nothing heavy, so a config or argument error answers in about 0.3 s; a
# command that opens (and migrates) a registry takes over a second, and is marked slow.

BIN = Path(sys.executable).parent / "schoolnet-collector"


def cli(*args, env=None, cwd=None):
    return subprocess.run(
        [BIN, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@pytest.mark.parametrize(
    "toml,expected",
    [
        ("[influx]\nbatch_size = 0\n", "influx.batch_size: Input should be greater than 0"),
        ('[mqtt]\nport = "abc"\n', "mqtt.port: Input should be a valid integer"),
        ('[mqtt]\nhots = "x"\n', "mqtt.hots: unknown key"),
        ('[influx]\napi = "v3"\n', "influx.api: Input should be 'auto', 'v1' or 'v2'"),
        ("[mqtt\nport = 1\n", "not valid TOML"),
    ],
)
def test_bad_config_file_named_by_key(tmp_path, toml, expected):
    conf = tmp_path / "collector.toml"
    conf.write_text(toml)
    with pytest.raises(ConfigError, match="") as err:
        load_settings(conf)
    assert expected in str(err.value)
    result = cli("run", "--config", conf)
    assert result.returncode == 2
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_environment_overrides_file_and_is_checked(tmp_path, monkeypatch):
    conf = tmp_path / "collector.toml"
    conf.write_text('[influx]\nurl = "http://127.0.0.1:1"\ndatabase = "from_file"\n')
    monkeypatch.setenv("SCHOOLNET_INFLUX__DATABASE", "from_env")
    settings = load_settings(conf)
    assert (settings.influx.url, settings.influx.database) == ("http://127.0.0.1:1", "from_env")
    result = cli("run", "--config", conf, env={"SCHOOLNET_MQTT__PORT": "70000"})
    assert (
        result.returncode == 2
        and "mqtt.port: Input should be less than or equal to 65535" in result.stderr
    )


def test_missing_config_file_is_one_line(tmp_path):
    result = cli("run", "--config", tmp_path / "nope.toml")
    assert result.returncode == 2
    assert "nope.toml: cannot read" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args,expected",
    [
        (["run", "--instance", "a/b"], "use up to 20 letters"),
        (["run", "--bogus"], "unrecognized arguments: --bogus"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["--log-level", "LOUD", "run"], "invalid choice: 'LOUD'"),
    ],
)
def test_bad_arguments(args, expected):
    result = cli(*args)
    assert result.returncode == 2 and expected in result.stderr


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
def test_run_with_missing_school_file_stops_with_its_name(tmp_path):
    conf = tmp_path / "collector.toml"
    conf.write_text(f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n')
    result = cli("run", "--config", conf, "--schools", tmp_path / "missing.csv")
    assert result.returncode == 2
    assert "missing.csv: cannot read" in result.stderr and "Traceback" not in result.stderr
