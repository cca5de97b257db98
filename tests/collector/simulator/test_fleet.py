"""The generated Lào Cai fleet reproduces the February 2018 figures exactly (scale 1).

The expected numbers are written out here from the domain brief, not read from the profile,
so a typo in either the profile or the generator fails the test.
"""

from __future__ import annotations

import re

import pytest

from schoolnet_collector.simulator.devices import count_devices
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.model import fleet_totals
from schoolnet_collector.simulator.profile_file import load_profile

# level: schools, with lab, lab rooms, lab PCs, admin PCs, printers, projectors, boards, cameras
LAO_CAI_2018 = {
    "mam_non": (199, 60, 94, 743, 438, 505, 212, 10, 18),
    "tieu_hoc": (212, 151, 164, 2814, 493, 763, 542, 56, 96),
    "thcs": (189, 175, 179, 3438, 418, 668, 862, 38, 36),
    "thpt": (36, 36, 70, 1515, 120, 297, 491, 83, 17),
    "gdtx": (10, 10, 16, 410, 35, 93, 65, 0, 0),
}
KEYS = (
    "schools",
    "schools_with_lab",
    "lab_rooms",
    "lab_pcs",
    "admin_pcs",
    "printers",
    "projectors",
    "boards",
    "cameras",
)
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@pytest.fixture(scope="module")
def profile():
    return load_profile("lao-cai-2018")


@pytest.fixture(scope="module")
def fleet(profile):
    return generate_fleet(profile, scale=1.0, seed=7)


def test_levels_reproduce_the_2018_inventory(fleet):
    totals = fleet_totals(fleet)
    for level, figures in LAO_CAI_2018.items():
        assert {k: totals[level][k] for k in KEYS} == dict(zip(KEYS, figures, strict=False)), level
    assert sum(t["lab_rooms_before_2010"] for k, t in totals.items() if k != "province") == 226


def test_connectivity_reproduces_the_2018_figures(fleet):
    prov = fleet_totals(fleet)["province"]
    assert (
        prov["with_internet"],
        prov["cellular"],
        prov["without_internet"],
        prov["dual_fixed"],
    ) == (640, 87, 6, 124)
    assert (prov["cellular_VNPT"], prov["cellular_Viettel"]) == (18, 69)
    # 429 single-line schools split as 342:185 (largest remainder): 278.4 and 150.6
    assert (prov["single_VNPT"], prov["single_Viettel"]) == (278, 151)


def test_devices_follow_the_equipment(fleet):
    devices = count_devices(fleet)
    assert devices["gateway"] == 640
    assert (
        devices["lab_pc"],
        devices["admin_pc"],
        devices["projector"],
        devices["board"],
        devices["printer"],
        devices["camera"],
    ) == (8920, 1504, 2172, 187, 2326, 167)
    broken = sum(d.broken for s in fleet for d in s.devices)
    assert 0.02 * 15916 < broken < 0.1 * 15916  # "many computers are old or broken"
    old_pcs = [d for s in fleet for d in s.devices if d.kind == "lab_pc" and d.old]
    new_pcs = [d for s in fleet for d in s.devices if d.kind == "lab_pc" and not d.old]

    def broken_share(devices):
        return sum(d.broken for d in devices) / len(devices)

    assert broken_share(old_pcs) > broken_share(new_pcs)


def test_ids_names_and_rooms_are_plausible(fleet, profile):
    ids = [s.id for s in fleet]
    assert len(set(ids)) == len(ids) and all(ID_RE.match(i) for i in ids)
    assert {s.district for s in fleet} == {d.id for d in profile.districts}
    for school in fleet:
        assert len({d.id for d in school.devices}) == len(school.devices)
        assert all(ID_RE.match(d.id) for d in school.devices)
        low, high = (5, 10) if school.level == "mam_non" else (5, 40)
        assert all(low <= pcs <= high for pcs in school.lab_rooms)
        assert (school.online) == any(d.kind == "gateway" for d in school.devices)
    names = {s.name for s in fleet}
    assert any(n.startswith("Trường Tiểu học số ") and n.endswith(" Bát Xát") for n in names)
    assert any(n.startswith("Trường Mầm non số ") for n in names)
    # unconnected and 3G-only schools lie mostly in the remote highland districts
    offline = [s for s in fleet if s.uplink != "fibre"]
    assert sum(s.remote for s in offline) > 0.6 * len(offline)


def test_same_seed_same_fleet_other_seed_other_fleet(profile, fleet):
    again = generate_fleet(profile, scale=1.0, seed=7)
    assert [s.registry_row() for s in again] == [s.registry_row() for s in fleet]
    assert [s.lab_rooms for s in again] == [s.lab_rooms for s in fleet]
    other = generate_fleet(profile, scale=1.0, seed=8)
    assert [s.lab_rooms for s in other] != [s.lab_rooms for s in fleet]
    assert fleet_totals(other) == fleet_totals(fleet)  # figures hold for every seed


def test_scale_tenth_is_proportional(profile):
    totals = fleet_totals(generate_fleet(profile, scale=0.1, seed=1))
    for level, figures in LAO_CAI_2018.items():
        schools = max(1, round(0.1 * figures[0]))
        assert totals[level]["schools"] == schools
        factor = schools / figures[0]
        for key, full in zip(KEYS[1:], figures[1:], strict=False):
            assert abs(totals[level][key] - factor * full) <= 1.5, (level, key)
    assert totals["province"]["cellular"] == pytest.approx(8.7, abs=2)


@pytest.mark.parametrize("scale", [0.001, 2.5])
def test_tiny_and_large_scales_keep_every_level(profile, scale):
    fleet = generate_fleet(profile, scale=scale, seed=3)
    totals = fleet_totals(fleet)
    for level, figures in LAO_CAI_2018.items():
        assert totals[level]["schools"] == max(1, round(scale * figures[0]))
    assert len({s.id for s in fleet}) == len(fleet)


@pytest.mark.parametrize("scale", [0, -1, float("nan")])
def test_scale_must_be_positive(profile, scale):
    with pytest.raises(ValueError, match="scale must be a number > 0"):
        generate_fleet(profile, scale=scale)
