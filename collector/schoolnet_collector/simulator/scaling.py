"""Scale a level's figures for ``--scale F``: a smaller fleet for tests, a larger one for load.

The number of schools of each level becomes ``round(F * schools)``, at least 1 (so every
level is present). Every other figure of the level is multiplied by the *same* factor as its
school count (``new schools / old schools``), rounded, then nudged to stay consistent (at
least one room per lab school, PCs within the per-room bounds). The province's figures are
therefore reproduced exactly only at ``F = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass

from schoolnet_collector.simulator.apportion import largest_remainder
from schoolnet_collector.simulator.profile import LINK_KEYS, Level, Profile


@dataclass(frozen=True)
class LevelPlan:
    """The figures one level of the generated fleet must add up to."""

    level: Level
    counts: dict[str, int]
    links: dict[str, int]


def check_scale(scale: float) -> float:
    if not scale > 0 or scale != scale or scale == float("inf"):
        raise ValueError(f"scale must be a number > 0, got {scale}")
    return scale


def plan_level(level: Level, scale: float) -> LevelPlan:
    c = level.counts
    if scale == 1 or c["schools"] == 0:
        return LevelPlan(level, dict(c), dict(level.links))
    schools = max(1, round(scale * c["schools"]))
    factor = schools / c["schools"]

    def scaled(key: str) -> int:
        return round(factor * c[key])

    with_lab = min(schools, scaled("schools_with_lab"))
    if c["schools_with_lab"] and not with_lab:
        with_lab = 1
    rooms = max(with_lab, scaled("lab_rooms")) if with_lab else 0
    low, high = level.lab_pcs_per_room
    pcs = min(max(scaled("lab_pcs"), rooms * low), rooms * high)
    counts = {key: scaled(key) for key in c}
    counts.update(
        schools=schools,
        schools_with_lab=with_lab,
        lab_rooms=rooms,
        lab_pcs=pcs,
        lab_rooms_before_2010=min(rooms, scaled("lab_rooms_before_2010")),
    )
    links = {key: round(factor * level.links[key]) for key in LINK_KEYS}
    for key in ("dual_fixed", "cellular", "none"):  # trim rounding overshoot, richest first
        excess = sum(links.values()) - schools
        if excess > 0:
            links[key] -= min(excess, links[key])
    return LevelPlan(level, counts, links)


def plan_fleet(profile: Profile, scale: float) -> list[LevelPlan]:
    check_scale(scale)
    return [plan_level(level, scale) for level in profile.levels]


def split_by_weights(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Split a count over named shares (ISPs) in proportion, exactly (Hamilton's method)."""
    names = list(weights)
    if total == 0:
        return dict.fromkeys(names, 0)
    return dict(zip(names, largest_remainder(total, [weights[n] for n in names]), strict=False))
