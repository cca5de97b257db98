"""Integer apportionment: split a total over bins so that the parts add up *exactly*.

The fleet must reproduce the province's figures to the unit (743 lab PCs in 94 preschool
rooms, not 742), while each school or room gets a plausible, uneven share. Both helpers are
deterministic; randomness enters only through the weights the caller draws.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Hamilton's method: floor the quotas, hand the rest to the largest fractions (ties: first)."""
    if total < 0:
        raise ValueError(f"cannot apportion a negative total ({total})")
    wsum = float(sum(weights))
    if not weights or wsum <= 0:
        if total:
            raise ValueError(f"cannot apportion {total} over zero weight")
        return [0] * len(weights)
    quotas = [total * w / wsum for w in weights]
    parts = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: (parts[i] - quotas[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def bounded_allocate(total: int, weights: Sequence[float], low: int, high: int) -> list[int]:
    """Split ``total`` roughly in proportion to ``weights`` with every part in [low, high].

    Start every bin at ``low``, give each the floor of its proportional share of the rest
    (capped at ``high``), then hand out the remainder one unit at a time to the bin whose
    weight per unit held is largest (the D'Hondt rule), skipping bins that are full.
    """
    n = len(weights)
    if n * low > total or (n * high < total):
        raise ValueError(f"cannot split {total} over {n} bins of {low}..{high}")
    if any(w <= 0 for w in weights):
        raise ValueError("weights must be positive")
    rest = total - n * low
    room = high - low
    wsum = float(sum(weights))
    extra = [min(room, math.floor(rest * w / wsum)) for w in weights]
    heap = [(-w / (extra[i] + 1), i) for i, w in enumerate(weights) if extra[i] < room]
    heapq.heapify(heap)
    for _ in range(rest - sum(extra)):
        _, i = heapq.heappop(heap)
        extra[i] += 1
        if extra[i] < room:
            heapq.heappush(heap, (-weights[i] / (extra[i] + 1), i))
    return [low + e for e in extra]


def weighted_sample(
    rng: random.Random, items: Sequence[T], weights: Sequence[float], k: int
) -> list[T]:
    """``k`` distinct items, each chosen with probability growing with its weight.

    Efraimidis-Spirakis: key ``u ** (1/w)``, keep the ``k`` largest keys. Order of the
    result follows ``items`` so that later steps stay deterministic.
    """
    if k > len(items):
        raise ValueError(f"cannot pick {k} of {len(items)} items")
    keys = [(rng.random() ** (1.0 / w), i) for i, w in enumerate(weights)]
    chosen = sorted(i for _, i in heapq.nlargest(k, keys))
    return [items[i] for i in chosen]


def lognormal_weights(rng: random.Random, n: int, sigma: float = 0.5) -> list[float]:
    """Uneven but positive sizes (schools, rooms): median 1, a few several times larger."""
    return [rng.lognormvariate(0.0, sigma) for _ in range(n)]
