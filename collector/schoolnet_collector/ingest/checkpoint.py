"""The checkpoint: a time before which every message that reached the broker is stored.

Mosquitto's persistence is a snapshot (``autosave_interval``): killed with ``-9`` it comes
back without the messages it acknowledged to agents since the last save, including those
queued for our session. Agents keep acknowledged messages for a while and re-send those
newer than a time the collector names (``docs/protocol.md``, "Replay requests"); this module
keeps that time.

It advances once a second, to the arrival time of the oldest message not yet stored (or now,
if none), but only while the broker cannot be holding older ones back from us:
- we are connected, and have been for ``settle_seconds`` (the backlog of a resumed session
  is sent at once after CONNACK);
- fewer than half of the Receive Maximum messages are unacknowledged (at the window the
  broker is throttled by us and may still queue older messages).
Otherwise it stays where it was: while we are away, the broker may queue and then lose.
It is kept in the spool file (same durability), so a restarted collector still knows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from schoolnet_collector.ingest.spool import Spool

MARK = "checkpoint_ms"


class Checkpoint:
    def __init__(
        self,
        spool: Spool,
        window: int,
        settle_seconds: float = 2.0,
        clock: Callable[[], float] = time.time,
    ):
        self.spool = spool
        self.window = window
        self.settle_seconds = settle_seconds
        self.clock = clock
        self.value: int | None = spool.mark(MARK)
        self._connected_at: float | None = None

    def connected(self) -> None:
        self._connected_at = self.clock()

    def disconnected(self) -> None:
        self._connected_at = None

    def tick(self, oldest_unstored_ms: int | None, unacknowledged: int) -> int | None:
        """Advance if it is safe (see the module docstring); returns the checkpoint."""
        now = self.clock()
        if (
            self._connected_at is None
            or now - self._connected_at < self.settle_seconds
            or unacknowledged * 2 >= self.window
        ):
            return self.value
        now_ms = int(now * 1000)
        candidate = now_ms if oldest_unstored_ms is None else min(oldest_unstored_ms, now_ms)
        if self.value is None or candidate > self.value:
            self.value = candidate
            self.spool.set_mark(MARK, candidate)
        return self.value

    def replay_since(self, margin_seconds: float) -> int | None:
        """``since_ms`` for a replay request (None: nothing stored yet, nothing to ask for)."""
        if self.value is None:
            return None
        return self.value - int(margin_seconds * 1000)
