"""A broken province profile is refused with the key to fix, by the loader and by the CLI."""

from __future__ import annotations

import pytest
import yaml

from schoolnet_collector.simulator.__main__ import main as simulate
from schoolnet_collector.simulator.profile_file import PROFILE_DIR, builtin_profiles, load_profile
from schoolnet_collector.simulator.schema_reader import ProfileError


def good() -> dict:
    return yaml.safe_load((PROFILE_DIR / "lao-cai-2018.yaml").read_text(encoding="utf-8"))


def write(tmp_path, data) -> str:
    path = tmp_path / "province.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


def broken(change):
    data = good()
    change(data)
    return data


CASES = [
    ("missing key", lambda d: d["levels"][1].pop("lab_pcs"), "levels[1].lab_pcs", "missing key"),
    ("missing section", lambda d: d.pop("connectivity"), "connectivity", "missing key"),
    (
        "negative count",
        lambda d: d["levels"][2].update(schools=-3),
        "levels[2].schools",
        "integer >= 0, got -3",
    ),
    (
        "not a number",
        lambda d: d["levels"][0].update(printers="many"),
        "levels[0].printers",
        "got 'many'",
    ),
    (
        "more lab schools than schools",
        lambda d: d["levels"][3].update(schools_with_lab=40),
        "levels[3].schools_with_lab",
        "40 is more than schools (36)",
    ),
    (
        "rooms below lab schools",
        lambda d: d["levels"][4].update(lab_rooms=8),
        "levels[4].lab_rooms",
        "fewer than schools_with_lab",
    ),
    (
        "PCs do not fit rooms",
        lambda d: d["levels"][0].update(lab_pcs=2000),
        "levels[0].lab_pcs",
        "cannot fill 94 rooms of 5-10 PCs",
    ),
    (
        "totals disagree",
        lambda d: d["totals"].update(lab_pcs=9000),
        "totals.lab_pcs",
        "add up to 8920, not 9000",
    ),
    (
        "3G operators disagree",
        lambda d: d["connectivity"]["cellular_isps"].update(VNPT=19),
        "connectivity.cellular_isps",
        "add up to 88, not 87",
    ),
    (
        "internet count disagrees",
        lambda d: d["connectivity"].update(with_internet=646),
        "connectivity.with_internet",
        "minus 6 without internet",
    ),
    (
        "too many linked schools",
        lambda d: d["levels"][4]["connectivity"].update(dual_fixed=11),
        "levels[4].connectivity",
        "more than schools (10)",
    ),
    (
        "duplicate district",
        lambda d: d["districts"][1].update(id="bac-ha"),
        "districts[1].id",
        "duplicate id 'bac-ha'",
    ),
    (
        "bad time zone",
        lambda d: d["province"].update(timezone="Asia/Hanoi_City"),
        "province.timezone",
        "unknown time zone",
    ),
    (
        "bad range",
        lambda d: d["equipment_years"].update(admin_pc=[2017, 2006]),
        "equipment_years.admin_pc",
        "a <= b",
    ),
    (
        "share above 1",
        lambda d: d["behaviour"]["broken_share"].update(other=3),
        "behaviour.broken_share.other",
        "in [0, 1]",
    ),
]


def test_the_builtin_profile_loads():
    assert "lao-cai-2018" in builtin_profiles()
    profile = load_profile("lao-cai-2018")
    assert profile.province_name == "Lào Cai" and len(profile.districts) == 9
    assert [lv.id for lv in profile.levels] == ["mam_non", "tieu_hoc", "thcs", "thpt", "gdtx"]


@pytest.mark.parametrize("name,change,key,words", CASES, ids=[c[0] for c in CASES])
def test_broken_profile_names_the_key(tmp_path, name, change, key, words):
    with pytest.raises(ProfileError) as caught:
        load_profile(write(tmp_path, broken(change)))
    assert caught.value.key == key
    assert words in str(caught.value)


def test_not_yaml_and_missing_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("levels: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(str(path))
    with pytest.raises(ProfileError, match="does not exist"):
        load_profile(str(tmp_path / "absent.yaml"))
    with pytest.raises(ProfileError, match=r"unknown profile 'atlantis'.*lao-cai-2018"):
        load_profile("atlantis")


def test_cli_refuses_a_broken_profile_with_exit_2(tmp_path, capsys):
    path = write(tmp_path, broken(lambda d: d["levels"][3].update(schools_with_lab=40)))
    assert simulate(["--profile", path, "--no-publish"]) == 2
    err = capsys.readouterr().err
    assert "levels[3].schools_with_lab: 40 is more than schools (36)" in err
