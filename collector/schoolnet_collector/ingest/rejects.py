"""Rejected messages: counted by reason, logged sparingly, kept in the dead-letter store.

A misconfigured lab of 40 PCs can send a bad report every minute each for weeks; the log
must show the first of each (device, reason) at once and then stay quiet, while the counters
and the dead-letter rows keep the whole story.

The dead-letter store is sampled the same way: per (device, reason) the first ``examples``
each hour are kept whole (up to ``MAX_KEPT_BYTES``, all of them within ``budget`` bytes an
hour), and the rest become one summary row a minute that counts them. A batch of 200 bad
items, or a flood from one PC, then costs a few rows, and the evidence of other devices'
problems is not pushed out of the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from schoolnet_collector.registry.models import DeadLetter

log = logging.getLogger("schoolnet.ingest.rejects")

LOG_EVERY_SECONDS = 60.0
MAX_KEPT_BYTES = 64 * 1024  # a dead letter keeps at most this much of the payload
EXAMPLES_WINDOW_SECONDS = 3600.0  # examples (and their byte budget) counted afresh each hour


@dataclass(slots=True)
class Rejected:
    topic: str
    payload: bytes
    reason: str
    detail: str
    received: datetime


class RejectLog:
    def __init__(
        self,
        log_every: float = LOG_EVERY_SECONDS,
        examples: int = 3,
        budget: int = 4 * 1024 * 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.counts: Counter[str] = Counter()
        self.stored: Counter[str] = Counter()  # dead letters committed, by reason
        self._last_logged: dict[tuple[str, str], float] = {}
        self._suppressed: Counter[tuple[str, str]] = Counter()
        self._pending: list[Rejected] = []
        self._lock = threading.Lock()
        self.log_every = log_every
        self.examples = examples
        self.budget = budget
        self._clock = clock
        self._window_start = clock()
        self._kept: Counter[tuple[str, str]] = Counter()  # examples kept this window
        self._kept_bytes = 0
        # (device, reason) → (topic, count, first detail) of rejections not kept as examples
        self._skipped: dict[tuple[str, str], tuple[str, int, str]] = {}
        self._summarised: dict[tuple[str, str], float] = {}

    def reject(self, topic: str, payload: bytes, reason: str, detail: str) -> None:
        source = "/".join(topic.split("/")[2:4]) or topic
        key = (source, reason)
        now = self._clock()
        with self._lock:
            self.counts[reason] += 1
            if now - self._window_start >= EXAMPLES_WINDOW_SECONDS:
                self._window_start, self._kept, self._kept_bytes = now, Counter(), 0
            if self._kept[key] < self.examples:
                self._kept[key] += 1
                kept = payload[:MAX_KEPT_BYTES]
                if self._kept_bytes + len(kept) > self.budget:
                    kept, detail = b"", detail + " (payload not kept: dead-letter byte budget)"
                self._kept_bytes += len(kept)
                self._pending.append(
                    Rejected(topic, kept, reason, detail, datetime.now(timezone.utc))
                )
            else:
                _, n, first = self._skipped.get(key, (topic, 0, detail))
                self._skipped[key] = (topic, n + 1, first)
            last = self._last_logged.get(key)
            if last is not None and now - last < self.log_every:
                self._suppressed[key] += 1
                return
            self._last_logged[key] = now
            quiet = self._suppressed.pop(key, 0)
        more = f" ({quiet} more since the last notice)" if quiet else ""
        log.warning("rejected message from %s on %s: %s: %s%s", source, topic, reason, detail, more)

    def _summaries(self, final: bool) -> list[tuple[tuple[str, str], int, Rejected]]:
        """Summary rows due: each (device, reason) at most once a minute (all when ``final``)."""
        now = self._clock()
        due: list[tuple[tuple[str, str], int, Rejected]] = []
        with self._lock:
            for key, (topic, n, first) in self._skipped.items():
                if final or now - self._summarised.get(key, -1e18) >= self.log_every:
                    detail = f"{n} more rejected like the examples; the first: {first}"
                    due.append(
                        (key, n, Rejected(topic, b"", key[1], detail, datetime.now(timezone.utc)))
                    )
        return due

    def flush(self, session: Session, keep: int, final: bool = False) -> int:
        """Write pending dead letters and trim the store to the newest ``keep`` rows.

        The pending ones are dropped only once their rows are committed: a registry that is
        locked or down raises here and keeps them for the next flush, because their messages
        are acknowledged only after a flush succeeds (ingest/service.py). One thread flushes;
        others only append, so the first ``len(batch)`` pending are still these afterwards."""
        with self._lock:
            batch = list(self._pending)
        summaries = self._summaries(final)
        rows = batch + [r for _, _, r in summaries]
        if rows:
            try:
                session.add_all(
                    DeadLetter(
                        received_at=r.received,
                        topic=r.topic,
                        reason=r.reason,
                        detail=r.detail[:1000],
                        payload=r.payload,
                    )
                    for r in rows
                )
                session.flush()
                newest = session.scalar(select(func.max(DeadLetter.id)))
                assert newest is not None  # the rows just flushed are there
                session.execute(delete(DeadLetter).where(DeadLetter.id <= newest - keep))
                session.commit()
            except BaseException:
                session.rollback()
                raise
            now = self._clock()
            with self._lock:
                del self._pending[: len(batch)]
                for key, written, _ in summaries:
                    self._summarised[key] = now
                    topic, n, first = self._skipped[key]
                    left = n - written  # counted since the row was made
                    if left:
                        self._skipped[key] = (topic, left, first)
                    else:
                        del self._skipped[key]
                self.stored.update(r.reason for r in rows)
        return len(rows)

    def pending(self) -> int:
        """Dead letters not yet committed to the registry."""
        with self._lock:
            return len(self._pending)
