"""``simulate`` command line: wrong arguments stop with exit 2 and a message naming the
option; ``--export-schools`` writes the registry's school file without publishing."""

from __future__ import annotations

import csv

import pytest

from schoolnet_collector.simulator.__main__ import main as simulate
from schoolnet_collector.simulator.export import read_schools
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.profile_file import load_profile

BAD_ARGS = [
    (["--scale", "0"], "argument --scale: must be a number > 0, got 0"),
    (["--scale", "-1"], "argument --scale: must be a number > 0, got -1"),
    (["--scale", "lots"], "argument --scale: must be a number > 0, got 'lots'"),
    (["--interval", "0"], "argument --interval: must be a number > 0, got 0"),
    (["--duration", "inf"], "argument --duration: must be a number > 0, got inf"),
    (["--broker", "127.0.0.1:99999"], "argument --broker: must be HOST:PORT"),
    (["--window", "0"], "argument --window: must be a whole number > 0, got 0"),
]


@pytest.mark.parametrize("argv,message", BAD_ARGS, ids=[" ".join(a) for a, _ in BAD_ARGS])
def test_bad_arguments_exit_2_naming_the_option(capsys, argv, message):
    with pytest.raises(SystemExit) as caught:
        simulate([*argv, "--no-publish"])
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["--profile", "atlantis-2030"],
            "unknown profile 'atlantis-2030'; built-in profiles: lao-cai-2018",
        ),
        (["--export-schools", "schools.json"], "must end in .csv, .yaml or .yml"),
        (
            ["--username", "u", "--password", "p", "--password-file", "f"],
            "give --password or --password-file, not both",
        ),
        (["--password", "p"], "--password or --password-file needs --username"),
        (
            ["--username", "u", "--password-file", "/nonexistent/secret"],
            "--password-file /nonexistent/secret: No such file or directory",
        ),
    ],
)
def test_bad_values_exit_2_before_any_work(capsys, argv, message):
    assert simulate([*argv, "--no-publish"]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert "schools" not in captured.out  # refused before generating the fleet


def test_export_csv_round_trip(tmp_path, capsys):
    path = tmp_path / "schools.csv"
    assert simulate(["--export-schools", str(path), "--no-publish", "--seed", "4"]) == 0
    assert "646 schools, 640 with internet" in capsys.readouterr().out
    with path.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header[:5] == ["id", "name", "province", "district", "level"]
    rows = read_schools(path)
    expected = [s.registry_row() for s in generate_fleet(load_profile("lao-cai-2018"), 1.0, 4)]
    assert rows == [{k: str(v) for k, v in row.items()} for row in expected]
    assert sum(r["level"] == "thpt" for r in rows) == 36
    assert any(r["name"].startswith("Trường THCS số") for r in rows)


def test_export_yaml_round_trip_at_scale(tmp_path):
    path = tmp_path / "schools.yaml"
    assert simulate(["--export-schools", str(path), "--no-publish", "--scale", "0.1"]) == 0
    rows = read_schools(path)
    expected = [s.registry_row() for s in generate_fleet(load_profile("lao-cai-2018"), 0.1, 0)]
    assert rows == expected and len(rows) == 65
    assert {r["province"] for r in rows} == {"lao-cai"}
    assert "Bát Xát" in path.read_text(encoding="utf-8")  # readable UTF-8, not escapes


def test_export_to_unwritable_place_exits_2(tmp_path, capsys):
    target = tmp_path / "no-such-dir" / "schools.csv"
    assert simulate(["--export-schools", str(target), "--no-publish"]) == 2
    assert f"--export-schools {target}" in capsys.readouterr().err
