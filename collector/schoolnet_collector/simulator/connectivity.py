"""Give every school its internet uplink: none, a USB 3G modem, one fixed line or two.

Per level the profile says how many schools have no internet, only 3G, or two fixed lines.
Which schools: unconnected and 3G schools are drawn mostly from remote districts and small
schools (no tower, no fibre there); dual-line schools mostly from large schools in the
lowlands. ISPs are then split over the whole province exactly as the profile's counts and
weights say (3G: VNPT 18, Viettel 69; single fixed line: VNPT:Viettel as 342:185).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from schoolnet_collector.simulator.apportion import weighted_sample
from schoolnet_collector.simulator.model import CELLULAR, FIBRE, NO_UPLINK, School
from schoolnet_collector.simulator.profile import Profile
from schoolnet_collector.simulator.scaling import LevelPlan, split_by_weights


def assign_uplinks(
    profile: Profile, plans: list[LevelPlan], schools: list[School], rng: random.Random
) -> None:
    cellular: list[School] = []
    single: list[School] = []
    for plan in plans:
        pool = [s for s in schools if s.level == plan.level.id]
        for school in _take(rng, pool, plan.links["none"], _remote_and_small):
            school.uplink, school.isps = NO_UPLINK, ()
        for school in _take(rng, pool, plan.links["cellular"], _remote_and_small):
            school.uplink = CELLULAR
            cellular.append(school)
        for school in _take(rng, pool, plan.links["dual_fixed"], _lowland_and_large):
            first, second = profile.connectivity.dual_fixed_isps
            school.uplink = FIBRE
            school.isps = (first, second) if rng.random() < 0.5 else (second, first)
        for school in pool:
            school.uplink = FIBRE
            single.append(school)
    _share_isps(rng, cellular, profile.connectivity.cellular_isps)
    _share_isps(rng, single, profile.connectivity.single_fixed_isp_weights)


def _remote_and_small(school: School) -> float:
    return (4.0 if school.remote else 1.0) * (0.3 if school.lab_rooms else 1.0) / school.size


def _lowland_and_large(school: School) -> float:
    return (1.0 if school.remote else 3.0) * school.size


def _take(
    rng: random.Random, pool: list[School], k: int, weight: Callable[[School], float]
) -> list[School]:
    """Draw ``k`` schools from ``pool`` (removing them from it), likelier with more weight."""
    chosen = weighted_sample(rng, pool, [weight(s) for s in pool], k)
    taken = {id(s) for s in chosen}
    pool[:] = [s for s in pool if id(s) not in taken]
    return chosen


def _share_isps(rng: random.Random, schools: list[School], weights: dict[str, int]) -> None:
    """Exactly ``split_by_weights`` schools per ISP, chosen at random."""
    order = list(schools)
    rng.shuffle(order)
    start = 0
    for isp, count in split_by_weights(len(order), weights).items():
        for school in order[start : start + count]:
            school.isps = (isp,)
        start += count
