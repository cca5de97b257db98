"""Report sequence numbers that only ever increase, across restarts and power cuts.

With ``(device, seq)`` the collector recognises a replayed report, so a number must never be
used twice, even when a lab PC loses power mid-write. Writing the counter before every report
would wear out old disks and still leave a window; instead the file holds a high-water mark:
before handing out numbers up to N, ``N`` is written, fsync'd and atomically renamed into
place. After a crash the agent restarts at the mark, skipping at most one block of numbers.
Gaps are allowed by the protocol; reuse is not.
"""

from __future__ import annotations

import logging
import os
import time

log = logging.getLogger(__name__)

BLOCK = 1000


class SequenceError(Exception):
    """The state directory cannot hold the counter (missing rights, read-only disk)."""


class SequenceCounter:
    def __init__(self, directory: str, name: str = "seq", block: int = BLOCK):
        self.path = os.path.join(directory, name)
        self.block = block
        try:
            os.makedirs(directory, exist_ok=True)
        except OSError as exc:
            raise SequenceError(
                f"cannot create state directory {directory}: {exc.strerror}"
            ) from None
        self._next = self._read_mark()
        self._limit = self._next
        self._reserve()  # fail at start, not at the first report, if the directory is unusable

    def next(self) -> int:
        if self._next >= self._limit:
            try:
                self._reserve()
            except SequenceError as exc:  # keep reporting; only a crash now could reuse numbers
                log.error("%s; continuing without a saved mark", exc)
                self._limit = self._next + self.block
        value = self._next
        self._next += 1
        return value

    def _read_mark(self) -> int:
        try:
            with open(self.path, encoding="ascii") as f:
                text = f.read().strip()
        except FileNotFoundError:
            return 0
        except (OSError, UnicodeDecodeError) as exc:
            return self._from_clock(f"unreadable ({exc})")
        if not text.isdigit():
            return self._from_clock(f"holds {text[:40]!r}, not a number")
        return int(text)

    def _from_clock(self, why: str) -> int:
        """Without a mark, milliseconds since the epoch are above any count this agent reached
        (one report a second for 50 years is 1.6e9, the clock is 1.7e12)."""
        value = int(time.time() * 1000)
        log.warning("sequence file %s %s; continuing from the clock: %d", self.path, why, value)
        return value

    def _reserve(self) -> None:
        limit = self._next + self.block
        tmp = self.path + ".tmp"
        try:
            with open(tmp, "w", encoding="ascii") as f:
                f.write(f"{limit}\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            _fsync_dir(os.path.dirname(self.path))
        except OSError as exc:
            raise SequenceError(
                f"cannot save sequence mark in {self.path}: {exc.strerror or exc}"
            ) from None
        self._limit = limit


def _fsync_dir(directory: str) -> None:
    """Make the rename itself durable (POSIX); Windows has no directory handles to sync."""
    if os.name == "nt":
        return
    fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
