"""The simulator's equipment file for the planners: every device with its year and room, and only
as CSV."""

from __future__ import annotations

import csv

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
