"""Schools placed in communes: each in a commune of its own old district, about ten commune-run
schools to a commune, the Sở's schools in a commune too; placing them changes none of the
2018 figures, and the old Lào Cai inside the merged province is the 2018 fleet school for
school. The figures are written out here, not read from the profiles."""

from __future__ import annotations

from collections import Counter

import pytest

from schoolnet_collector.simulator.communes import COMMUNE_RUN
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.model import fleet_totals
from schoolnet_collector.simulator.profile_file import load_profile
from tests.collector.simulator.conftest import LAO_CAI

SEED = 7


@pytest.fixture(scope="module")
def lao_cai():
    return load_profile("lao-cai-2018")


@pytest.fixture(scope="module")
def merged():
    return load_profile("lao-cai-yen-bai-2025")


@pytest.fixture(scope="module")
def lao_cai_fleet(lao_cai):
    return generate_fleet(lao_cai, 1.0, SEED)


@pytest.fixture(scope="module")
def merged_fleet(merged):
    return generate_fleet(merged, 1.0, SEED)


def _communes_of(profile):
    return {d.id: {c.code for c in d.communes} for part in profile.fleets() for d in part.districts}


@pytest.mark.parametrize("which", ["lao_cai", "merged"])
def test_every_school_is_in_a_commune_of_its_own_old_district(request, which):
    profile = request.getfixturevalue(which)
    fleet = request.getfixturevalue(f"{which}_fleet")
    communes = _communes_of(profile)
    assert all(s.commune in communes[s.district] for s in fleet)
    names = {c.code: c.name for p in profile.fleets() for d in p.districts for c in d.communes}
    assert all(s.commune_name == names[s.commune] for s in fleet)


@pytest.mark.parametrize("which,communes", [("lao_cai", 60), ("merged", 118)])
def test_about_ten_commune_run_schools_to_a_commune(request, which, communes):
    fleet = request.getfixturevalue(f"{which}_fleet")
    run = Counter(s.commune for s in fleet if s.level in COMMUNE_RUN)
    assert len(run) == communes  # every commune runs schools
    assert min(run.values()) >= 8 and max(run.values()) <= 12
    assert 9 <= sum(run.values()) / len(run) <= 11
    # dealt evenly within a district: one more or one fewer, never two
    for district in {s.district for s in fleet}:
        counts = [
            n
            for c, n in run.items()
            if any(s.commune == c and s.district == district for s in fleet)
        ]
        assert max(counts) - min(counts) <= 1, district


def test_the_sos_schools_stand_in_a_commune_too(lao_cai_fleet):
    province_run = [s for s in lao_cai_fleet if s.level not in COMMUNE_RUN]
    assert {s.level for s in province_run} == {"thpt", "gdtx"} and len(province_run) == 46
    assert all(s.commune for s in province_run)


def test_the_2018_figures_do_not_move(lao_cai_fleet):
    prov = fleet_totals(lao_cai_fleet)["province"]
    assert len(lao_cai_fleet) == 646
    assert (prov["with_internet"], prov["cellular"], prov["without_internet"]) == (640, 87, 6)
    levels = {k: v for k, v in fleet_totals(lao_cai_fleet).items() if k != "province"}
    assert sum(t["lab_rooms_before_2010"] for t in levels.values()) == 226
    assert {k: t["schools_with_lab"] for k, t in levels.items()} == {
        "mam_non": 60,
        "tieu_hoc": 151,
        "thcs": 175,
        "thpt": 36,
        "gdtx": 10,
    }


def test_placing_draws_nothing_from_the_fleets_random_stream(edited, lao_cai_fleet):
    """The same seed gives the same schools, uplinks, equipment and devices as a profile
    without communes: only the commune columns differ."""

    def without_communes(d):
        d["format"] = 1
        for district in d["districts"]:
            district.pop("communes")

    plain = generate_fleet(load_profile(edited(LAO_CAI, without_communes)), 1.0, SEED)
    assert [s.registry_row() for s in plain] == [s.registry_row() for s in lao_cai_fleet]
    assert [[(d.id, d.year, d.broken) for d in s.devices] for s in plain] == [
        [(d.id, d.year, d.broken) for d in s.devices] for s in lao_cai_fleet
    ]


def test_placement_follows_the_seed(lao_cai):
    again = generate_fleet(lao_cai, 1.0, SEED)
    other = generate_fleet(lao_cai, 1.0, SEED + 1)
    first = [s.commune for s in generate_fleet(lao_cai, 1.0, SEED)]
    assert [s.commune for s in again] == first
    assert sum(a != b.commune for a, b in zip(first, other, strict=True)) > 100


def test_the_merged_province_is_two_old_provinces_of_about_1300_schools(
    merged_fleet, lao_cai_fleet
):
    assert len(merged_fleet) == 1300
    assert len({s.id for s in merged_fleet}) == 1300
    assert {s.province for s in merged_fleet} == {"lao-cai"}
    assert Counter(s.legacy_province for s in merged_fleet) == {
        "lao-cai-cu": 646,
        "yen-bai-cu": 654,
    }
    old_lao_cai = [s for s in merged_fleet if s.legacy_province == "lao-cai-cu"]
    assert [s.registry_row(two_tier=True) for s in old_lao_cai] == [
        s.registry_row(two_tier=True) for s in lao_cai_fleet
    ]
    prov = fleet_totals(merged_fleet)["province"]
    assert (prov["with_internet"], prov["without_internet"]) == (1289, 11)


def test_at_a_small_scale_every_school_still_has_a_commune(merged):
    fleet = generate_fleet(merged, 0.05, 1)
    assert fleet and all(s.commune and s.legacy_province for s in fleet)
