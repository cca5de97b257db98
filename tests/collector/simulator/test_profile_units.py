"""Today's units in a profile: every hostile edit of the communes, the old provinces and the
format is refused with the key to fix and the reason, by the loader and by the CLI (exit 2);
a format 1 file still loads as it did."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schoolnet_collector.simulator.__main__ import main as simulate
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.profile_file import PROFILE_DIR, load_profile
from schoolnet_collector.simulator.schema_reader import ProfileError
from tests.collector.simulator.conftest import LAO_CAI, MERGED


def _commune(d, district, index):
    return d["districts"][district]["communes"][index]


def _yen_bai(d):
    return d["legacy_provinces"][1]


LAO_CAI_CASES = [
    (
        "commune code not a unit code",
        lambda d: _commune(d, 2, 4).update(code="x y"),
        "districts[2].communes[4].code",
        "'x y' is not a unit code",
    ),
    (
        "commune code a number",
        lambda d: _commune(d, 0, 0).update(code=8044),
        "districts[0].communes[0].code",
        "8044 is not a unit code",
    ),
    (
        "duplicate commune",
        lambda d: d["districts"][1]["communes"].append(dict(_commune(d, 0, 0))),
        "districts[1].communes[8].code",
        "commune code 'lc-bha-01' appears twice: already commune districts[0].communes[0]",
    ),
    (
        "commune code reused with another name",
        lambda d: _commune(d, 3, 2).update(code="lc-bha-02"),
        "districts[3].communes[2].code",
        "'lc-bha-02' reused with another name: already commune districts[0].communes[1]",
    ),
    (
        "empty communes list",
        lambda d: d["districts"][4].update(communes=[]),
        "districts[4].communes",
        "must be a non-empty list",
    ),
    (
        "no communes in format 2",
        lambda d: d["districts"][4].pop("communes"),
        "districts[4].communes",
        "missing key",
    ),
    (
        "commune missing type",
        lambda d: _commune(d, 0, 0).pop("type"),
        "districts[0].communes[0].type",
        "missing key",
    ),
    (
        "commune of a district type",
        lambda d: _commune(d, 0, 1).update(type="huyen"),
        "districts[0].communes[1].type",
        "'huyen' is not a commune type; use dac_khu, phuong, xa",
    ),
    (
        "commune without a name",
        lambda d: _commune(d, 0, 2).update(name=" "),
        "districts[0].communes[2].name",
        "must be a non-empty string",
    ),
    (
        "commune name with a line break",
        lambda d: _commune(d, 0, 2).update(name="Xã A\nXã B"),
        "districts[0].communes[2].name",
        "one line",
    ),
    (
        "made_up not a flag",
        lambda d: d.update(made_up="yes"),
        "made_up",
        "must be true or false, got 'yes'",
    ),
    (
        "district made_up not a flag",
        lambda d: d["districts"][0].update(made_up=1),
        "districts[0].made_up",
        "must be true or false, got 1",
    ),
    (
        "commune made_up not a flag",
        lambda d: _commune(d, 0, 0).update(made_up="no"),
        "districts[0].communes[0].made_up",
        "must be true or false",
    ),
    (
        "commune code is a district's id",
        lambda d: _commune(d, 0, 0).update(code="bao-thang"),
        "districts[0].communes[0].code",
        "'bao-thang' is already the code of district districts[1]",
    ),
    (
        "commune code is the province's id",
        lambda d: _commune(d, 5, 0).update(code="lao-cai"),
        "districts[5].communes[0].code",
        "'lao-cai' is already the code of the province",
    ),
    (
        "old province named like a district",
        lambda d: d["legacy_province"].update(id="bac-ha"),
        "districts[0].id",
        "'bac-ha' is already the code of the old province legacy_province",
    ),
    (
        "old province id not a code",
        lambda d: d["legacy_province"].update(id="Lào Cai cũ"),
        "legacy_province.id",
        "is not a unit code",
    ),
    (
        "old province without a name",
        lambda d: d["legacy_province"].pop("name"),
        "legacy_province.name",
        "missing key",
    ),
    (
        "district of an unknown type",
        lambda d: d["districts"][0].update(type="quan"),
        "districts[0].type",
        "'quan' is not a former district type",
    ),
    ("unknown format", lambda d: d.update(format=3), "format", "formats 1 and 2, got 3"),
    ("format as a flag", lambda d: d.update(format=True), "format", "got True"),
]

MERGED_CASES = [
    (
        "two old provinces, one prefix",
        lambda d: _yen_bai(d).update(id_prefix="lc"),
        "legacy_provinces[1].id_prefix",
        "'lc' is already the prefix of legacy_provinces[0]",
    ),
    (
        "two old provinces, one id",
        lambda d: _yen_bai(d).update(id="lao-cai-cu"),
        "legacy_provinces[1].id",
        "already the code of the old province legacy_provinces[0]",
    ),
    (
        "old province named like the province",
        lambda d: _yen_bai(d).update(id="lao-cai"),
        "legacy_provinces[1].id",
        "already the code of the province",
    ),
    (
        "from an unknown profile",
        lambda d: d["legacy_provinces"][0].update({"from": "atlantis"}),
        "legacy_provinces[0].from",
        "unknown profile 'atlantis'",
    ),
    (
        "from a missing file",
        lambda d: d["legacy_provinces"][0].update({"from": "no/such.yaml"}),
        "legacy_provinces[0].from",
        "does not exist",
    ),
    (
        "from a merged profile",
        lambda d: d["legacy_provinces"][0].update({"from": "lao-cai-yen-bai-2025"}),
        "legacy_provinces[0].from",
        "must be a format 2 profile of one old province",
    ),
    (
        "inline figures that cannot be true",
        lambda d: _yen_bai(d)["levels"][0].update(schools_with_lab=999),
        "legacy_provinces[1].levels[0].schools_with_lab",
        "999 is more than schools (205)",
    ),
    (
        "inline prefix not a code",
        lambda d: _yen_bai(d).update(id_prefix="Yên Bái"),
        "legacy_provinces[1].id_prefix",
        "use 1-8 lowercase letters or digits",
    ),
    (
        "inline district named like one of the other old province",
        lambda d: _yen_bai(d)["districts"][0].update(id="bac-ha"),
        "legacy_provinces[1].districts[0].id",
        "already the code of district legacy_provinces[0].districts[0]",
    ),
    (
        "commune code of the other old province",
        lambda d: _yen_bai(d)["districts"][0]["communes"][0].update(code="lc-bha-01"),
        "legacy_provinces[1].districts[0].communes[0].code",
        "reused with another name: already commune legacy_provinces[0].districts[0].communes[0]",
    ),
    (
        "inline communes empty",
        lambda d: _yen_bai(d)["districts"][2].update(communes=[]),
        "legacy_provinces[1].districts[2].communes",
        "must be a non-empty list",
    ),
    (
        "no old province",
        lambda d: d.update(legacy_provinces=[]),
        "legacy_provinces",
        "must be a non-empty list",
    ),
    (
        "inline old province without a name",
        lambda d: _yen_bai(d).pop("name"),
        "legacy_provinces[1].name",
        "missing key",
    ),
    (
        "inline made_up not a flag",
        lambda d: _yen_bai(d).update(made_up="true"),
        "legacy_provinces[1].made_up",
        "must be true or false",
    ),
]


@pytest.mark.parametrize(
    "data,name,change,key,words",
    [(LAO_CAI, *c) for c in LAO_CAI_CASES] + [(MERGED, *c) for c in MERGED_CASES],
    ids=[c[0] for c in LAO_CAI_CASES + MERGED_CASES],
)
def test_a_hostile_edit_names_the_key_and_the_reason(edited, data, name, change, key, words):
    with pytest.raises(ProfileError) as caught:
        load_profile(edited(data, change))
    assert caught.value.key == key
    assert words in caught.value.problem


def test_the_cli_refuses_a_hostile_profile_with_exit_2(edited, capsys):
    path = edited(LAO_CAI, lambda d: _commune(d, 2, 4).update(code="x y"))
    assert simulate(["--profile", path, "--no-publish"]) == 2
    err = capsys.readouterr().err
    assert "districts[2].communes[4].code: 'x y' is not a unit code" in err


def _as_format_1(d):
    d["format"] = 1
    for key in ("made_up", "legacy_province"):
        d.pop(key)
    for district in d["districts"]:
        district.pop("communes")
        district.pop("type")


def test_a_format_1_file_still_loads_without_communes(edited):
    profile = load_profile(edited(LAO_CAI, _as_format_1))
    assert not profile.two_tier and profile.legacy_province is None
    assert all(d.communes == () for d in profile.districts)
    fleet = generate_fleet(profile, 0.1, 3)
    assert fleet and all(s.commune == "" and s.legacy_province == "" for s in fleet)


def test_communes_are_read_with_their_types_and_made_up_flags(edited):
    profile = load_profile("lao-cai-2018")
    communes = [c for d in profile.districts for c in d.communes]
    assert len(communes) == 60 and all(c.made_up for c in communes)
    assert profile.legacy_province is not None and not profile.legacy_province.made_up
    city = next(d for d in profile.districts if d.id == "tp-lao-cai")
    assert city.type == "thanh_pho_thuoc_tinh" and {c.type for c in city.communes} >= {"phuong"}

    # Vietnamese spellings of the types are accepted; a district may say its names are real.
    def real_names(d):
        d["districts"][0]["made_up"] = False
        d["districts"][0]["communes"][0]["type"] = "Phường"
        d["districts"][0]["type"] = "Thị xã"

    edited_profile = load_profile(edited(LAO_CAI, real_names))
    first = edited_profile.districts[0]
    assert first.type == "thi_xa" and first.communes[0].type == "phuong"
    assert not any(c.made_up for c in first.communes)
    assert all(c.made_up for d in edited_profile.districts[1:] for c in d.communes)


def test_the_merged_profile_holds_two_old_provinces(edited):
    profile = load_profile("lao-cai-yen-bai-2025")
    assert profile.province_id == "lao-cai" and len(profile.parts) == 2
    lao_cai, yen_bai = profile.legacy_provinces()
    assert (lao_cai.id, lao_cai.made_up) == ("lao-cai-cu", False)
    assert (yen_bai.id, yen_bai.made_up) == ("yen-bai-cu", True)
    assert len(profile.districts) == 18
    # ``from`` a file path is read relative to the merged file's folder.
    path = edited(MERGED, lambda d: d["legacy_provinces"][0].update({"from": "lc.yaml"}))
    shutil.copy(PROFILE_DIR / "lao-cai-2018.yaml", Path(path).parent / "lc.yaml")
    assert len(load_profile(path).parts[0].districts) == 9
