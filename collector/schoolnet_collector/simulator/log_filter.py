"""Keep hundreds of simulated connections from repeating the same log line hundreds of times.

Every school has its own transport, so a wrong password or a stopped broker would otherwise
print one identical warning per school. The first few records of each message template pass;
the rest are counted and summarised once.
"""

from __future__ import annotations

import logging


class RepeatFilter(logging.Filter):
    def __init__(self, keep: int = 3):
        super().__init__()
        self.keep = keep
        self.seen: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = str(record.msg)
        count = self.seen.get(key, 0) + 1
        self.seen[key] = count
        if count == self.keep + 1:
            record.msg = f"{record.msg} (further messages like this one are not shown)"
        return count <= self.keep + 1


def quiet_repeats(logger: logging.Logger, keep: int = 3) -> None:
    if not any(isinstance(f, RepeatFilter) for f in logger.filters):
        logger.addFilter(RepeatFilter(keep))
