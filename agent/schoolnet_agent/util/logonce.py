"""Log a recurring problem once, then at most once per period.

A probe that fails every minute on ten thousand PCs must not fill their disks (or the
province's log server) with the same traceback: the first occurrence is logged in full, later
ones are counted and summarised when the period has passed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class LogLimiter:
    def __init__(
        self,
        logger: logging.Logger,
        period: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.logger = logger
        self.period = period
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def log(
        self, key: str, level: int, msg: str, *args: object, exc_info: bool | None = None
    ) -> bool:
        """Log ``msg`` unless ``key`` was logged less than ``period`` ago; True if logged."""
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self.period:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        held = self._held.pop(key, 0)
        if held:
            msg += f" ({held} more since last logged)"
        self._last[key] = now
        self.logger.log(level, msg, *args, exc_info=exc_info)
        return True
