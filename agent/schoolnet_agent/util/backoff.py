"""Jittered exponential backoff for reconnecting to the broker.

Why jitter: when the province's broker restarts, thousands of agents lose their connection in
the same second. With a plain doubling delay they would all come back in lock-step, again and
again; a random delay inside a growing window spreads them out so the broker can accept them.
"""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays drawn uniformly from ``[min_delay, window]``; the window doubles per failure.

    The window starts at ``2 × min_delay`` and is capped at ``max_delay``, so a delay is never
    shorter than ``min_delay`` nor longer than ``max_delay``. ``reset()`` after a success.
    """

    def __init__(
        self, min_delay: float, max_delay: float, rand: Callable[[], float] = random.random
    ):
        if min_delay <= 0 or max_delay < min_delay:
            raise ValueError(f"need 0 < min_delay <= max_delay, got {min_delay}, {max_delay}")
        self.min_delay = float(min_delay)
        self.max_delay = float(max_delay)
        self._rand = rand
        self.failures = 0

    def window(self) -> float:
        """The upper bound of the next delay."""
        # The exponent is capped so that a device offline for months never overflows a float.
        return min(self.max_delay, self.min_delay * 2.0 ** min(self.failures + 1, 60))

    def next_delay(self) -> float:
        """The delay to wait after one more failure."""
        upper = self.window()
        self.failures += 1
        return self.min_delay + self._rand() * (upper - self.min_delay)

    def reset(self) -> None:
        self.failures = 0
