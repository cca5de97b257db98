"""Generate a province's schools from its profile: deterministic for a given seed.

Per level: schools spread over districts by the districts' weights, each with a random size;
bigger schools are likelier to have a lab and get more equipment; lab rooms, lab PCs and
every kind of equipment are split so the level's sums equal the profile's figures exactly
(``apportion``). Uplinks (``connectivity``) and device lists (``devices``) follow; enrolment
grows with a school's size (the source gives no enrolment, so these are plausible only).

A format 2 profile places every school in a commune of its old district (``communes``); a
merged province is its old provinces' fleets side by side, each generated from its own
figures with the same seed, so the old Lào Cai inside the merged province is the Lào Cai of
the 2018 profile school for school.
"""

from __future__ import annotations

import math
import random

from schoolnet_collector.simulator.apportion import (
    bounded_allocate,
    lognormal_weights,
    weighted_sample,
)
from schoolnet_collector.simulator.communes import assign_communes
from schoolnet_collector.simulator.connectivity import assign_uplinks
from schoolnet_collector.simulator.devices import build_devices
from schoolnet_collector.simulator.model import School
from schoolnet_collector.simulator.profile import Profile
from schoolnet_collector.simulator.scaling import LevelPlan, plan_fleet

EQUIPMENT = ("admin_pcs", "printers", "projectors", "boards", "cameras")
# Students in a school of median size, by level (typical of a mountain province's schools).
MEDIAN_STUDENTS = {"mam_non": 150, "tieu_hoc": 350, "thcs": 320, "thpt": 850, "gdtx": 250}


def generate_fleet(profile: Profile, scale: float = 1.0, seed: int = 0) -> list[School]:
    schools: list[School] = []
    for part in profile.fleets():
        part_schools = _generate_part(part, scale, seed)
        assign_communes(part, part_schools, seed)
        for school in part_schools:
            school.province = profile.province_id
        schools.extend(part_schools)
    return schools


def _generate_part(profile: Profile, scale: float, seed: int) -> list[School]:
    rng = random.Random(seed)
    plans = plan_fleet(profile, scale)
    schools: list[School] = []
    for plan in plans:
        level_schools = _make_schools(profile, plan, rng)
        _equip_labs(plan, level_schools, profile, rng)
        _equip_schools(plan, level_schools)
        schools.extend(level_schools)
    assign_uplinks(profile, plans, schools, rng)
    for school in schools:
        build_devices(profile, school, rng)
        school.students = max(
            20, round(MEDIAN_STUDENTS.get(school.level, 300) * min(3.0, school.size))
        )
    return schools


def _make_schools(profile: Profile, plan: LevelPlan, rng: random.Random) -> list[School]:
    level = plan.level
    n = plan.counts["schools"]
    per_district = bounded_allocate(n, [d.weight for d in profile.districts], 0, n) if n else []
    width = max(3, len(str(max(per_district, default=0))))
    schools = []
    for district, count in zip(profile.districts, per_district, strict=False):
        for number in range(1, count + 1):
            schools.append(
                School(
                    id=f"{profile.id_prefix}-{district.code}-{level.code}-{number:0{width}d}",
                    name=level.name_template.format(n=number, district=district.name),
                    province=profile.province_id,
                    district=district.id,
                    district_name=district.name,
                    level=level.id,
                    level_name=level.name,
                    remote=district.remote,
                    size=0.0,
                )
            )
    for school, size in zip(schools, lognormal_weights(rng, len(schools)), strict=False):
        school.size = size
    return schools


def _equip_labs(
    plan: LevelPlan, schools: list[School], profile: Profile, rng: random.Random
) -> None:
    """Pick the lab schools (bigger ones likelier), then their rooms, PCs and supply years."""
    c = plan.counts
    lab_schools = weighted_sample(rng, schools, [s.size for s in schools], c["schools_with_lab"])
    if not lab_schools:
        return
    max_rooms = max(1, math.ceil(2 * c["lab_rooms"] / len(lab_schools)))
    rooms = bounded_allocate(c["lab_rooms"], [s.size for s in lab_schools], 1, max_rooms)
    low, high = plan.level.lab_pcs_per_room
    pcs = bounded_allocate(c["lab_pcs"], lognormal_weights(rng, c["lab_rooms"], 0.3), low, high)
    old = set(rng.sample(range(c["lab_rooms"]), c["lab_rooms_before_2010"]))
    old_years, new_years = profile.years["lab_before_2010"], profile.years["lab_since_2010"]
    index = 0
    for school, n_rooms in zip(lab_schools, rooms, strict=False):
        for _ in range(n_rooms):
            school.lab_rooms.append(pcs[index])
            school.lab_years.append(rng.randint(*(old_years if index in old else new_years)))
            index += 1


def _equip_schools(plan: LevelPlan, schools: list[School]) -> None:
    """Admin PCs, printers, projectors, boards, cameras: in proportion to size, sums exact.

    Every school gets at least one admin PC when the level has enough for all of them.
    """
    sizes = [s.size * (1.5 if s.lab_rooms else 1.0) for s in schools]
    for key in EQUIPMENT:
        total = plan.counts[key]
        low = 1 if key == "admin_pcs" and total >= len(schools) else 0
        parts = bounded_allocate(total, sizes, low, total) if schools else []
        for school, n in zip(schools, parts, strict=False):
            school.equipment[key] = n
