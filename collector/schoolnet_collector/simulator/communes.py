"""Place each generated school in a commune of its old district (format 2 profiles).

Since July 2025 the commune's People's Committee runs the preschools, primary and lower-
secondary schools (``COMMUNE_RUN``); about ten of them fall to a commune. The generator deals
a district's commune-run schools out over its communes like cards, one level after the other,
so every commune gets the same number give or take one and a mix of levels; upper-secondary
schools and GDTX centres (run by the Sở) stand in a commune drawn at random.

It has its own random stream (``communes/<seed>/<old province>``): placing schools draws
nothing from the fleet's stream, so the figures of a seed stay what they were before
communes existed.
"""

from __future__ import annotations

import random
from collections import defaultdict

from schoolnet_collector.simulator.model import School
from schoolnet_collector.simulator.profile import Profile

COMMUNE_RUN = ("mam_non", "tieu_hoc", "thcs")
"""Levels the commune runs (the registry's ``units.BODY_BY_LEVEL``, which the simulator may
not import); the other levels are run by the Sở."""


def assign_communes(profile: Profile, schools: list[School], seed: int) -> None:
    """Set ``commune``, ``commune_name`` and ``legacy_province`` of ``profile``'s schools."""
    legacy = profile.legacy_province
    if legacy is None:
        return
    rng = random.Random(f"communes/{seed}/{legacy.id}")
    by_district: dict[str, list[School]] = defaultdict(list)
    for school in schools:
        school.legacy_province = legacy.id
        by_district[school.district].append(school)
    for district in profile.districts:
        local = by_district.get(district.id, [])
        if not local or not district.communes:
            continue
        order = rng.sample(district.communes, len(district.communes))
        dealt = 0
        for level in COMMUNE_RUN:
            of_level = [s for s in local if s.level == level]
            rng.shuffle(of_level)
            for school in of_level:
                commune = order[dealt % len(order)]
                school.commune, school.commune_name = commune.code, commune.name
                dealt += 1
        for school in local:
            if school.level not in COMMUNE_RUN:
                commune = rng.choice(district.communes)
                school.commune, school.commune_name = commune.code, commune.name
