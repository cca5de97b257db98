"""Rejected messages: counted by reason, logged sparingly, kept in the dead-letter store.

A misconfigured lab of 40 PCs can send a bad report every minute each for weeks; the log
must show the first of each (device, reason) at once and then stay quiet, while the counters
and the dead-letter rows keep the whole story.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from schoolnet_collector.registry.models import DeadLetter

log = logging.getLogger("schoolnet.ingest.rejects")

LOG_EVERY_SECONDS = 60.0
MAX_KEPT_BYTES = 64 * 1024  # a dead letter keeps at most this much of the payload


@dataclass(slots=True)
class Rejected:
    topic: str
    payload: bytes
    reason: str
    detail: str
    received: datetime


class RejectLog:
    def __init__(self, log_every: float = LOG_EVERY_SECONDS) -> None:
        self.counts: Counter[str] = Counter()
        self.stored: Counter[str] = Counter()  # dead letters committed, by reason
        self._last_logged: dict[tuple[str, str], float] = {}
        self._suppressed: Counter[tuple[str, str]] = Counter()
        self._pending: list[Rejected] = []
        self._lock = threading.Lock()
        self.log_every = log_every

    def reject(self, topic: str, payload: bytes, reason: str, detail: str) -> None:
        source = "/".join(topic.split("/")[2:4]) or topic
        key = (source, reason)
        now = time.monotonic()
        with self._lock:
            self.counts[reason] += 1
            self._pending.append(
                Rejected(
                    topic, payload[:MAX_KEPT_BYTES], reason, detail, datetime.now(timezone.utc)
                )
            )
            last = self._last_logged.get(key)
            if last is not None and now - last < self.log_every:
                self._suppressed[key] += 1
                return
            self._last_logged[key] = now
            quiet = self._suppressed.pop(key, 0)
        more = f" ({quiet} more since the last notice)" if quiet else ""
        log.warning("rejected message from %s on %s: %s: %s%s", source, topic, reason, detail, more)

    def flush(self, session: Session, keep: int) -> int:
        """Write pending dead letters and trim the store to the newest ``keep`` rows.

        The pending ones are dropped only once their rows are committed: a registry that is
        locked or down raises here and keeps them for the next flush, because their messages
        are acknowledged only after a flush succeeds (ingest/service.py). One thread flushes;
        others only append, so the first ``len(batch)`` pending are still these afterwards."""
        with self._lock:
            batch = list(self._pending)
        if batch:
            try:
                session.add_all(
                    DeadLetter(
                        received_at=r.received,
                        topic=r.topic,
                        reason=r.reason,
                        detail=r.detail[:1000],
                        payload=r.payload,
                    )
                    for r in batch
                )
                session.flush()
                newest = session.scalar(select(func.max(DeadLetter.id)))
                assert newest is not None  # the rows just flushed are there
                session.execute(delete(DeadLetter).where(DeadLetter.id <= newest - keep))
                session.commit()
            except BaseException:
                session.rollback()
                raise
            with self._lock:
                del self._pending[: len(batch)]
                self.stored.update(r.reason for r in batch)
        return len(batch)

    def pending(self) -> int:
        """Dead letters not yet committed to the registry."""
        with self._lock:
            return len(self._pending)
