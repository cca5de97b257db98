"""Replay: the pace of backfill, and the collector's replay requests.

Backfill (messages the spool holds because the broker was out of reach) is paced by a token
bucket, ``rate`` messages a second, and may hold at most ``inflight`` of the transport's
in-flight slots: live reports are published at once, outside both limits, so they keep
flowing while a day's backlog drains behind them.

Replay requests close the hole a broker crash leaves: Mosquitto acknowledges a message, then
loses it if it is killed before its next persistence snapshot. The collector publishes a
retained request on every connection, not only when the broker lost its session: a broker
killed with ``-9`` may come back with the collector's session (``session_present = 1``) yet
without messages it had acknowledged to agents. The request goes to
``schoolnet/v1/_control/replay``: ``{"id": "<unique>", "since_ms": <epoch ms>}``, and every
agent sends again the messages the broker acknowledged at or after ``since_ms`` (by the agent's
clock: the collector leaves a margin for clock skew). Each id is handled once, remembered in
the spool across restarts, because a retained request is delivered again on every subscribe.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    id: str
    since_ms: int


def parse_request(payload: bytes) -> ReplayRequest | None:
    """The request in a control message, or None (logged) if it is not one; an empty payload
    is the collector clearing its retained request, silently ignored."""
    if not payload:
        return None
    try:
        body = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        log.warning("replay request ignored: not JSON: %r", payload[:80])
        return None
    if not isinstance(body, dict):
        log.warning("replay request ignored: not a JSON object: %r", payload[:80])
        return None
    rid, since = body.get("id"), body.get("since_ms")
    if not isinstance(rid, str) or not 0 < len(rid) <= 128:
        log.warning(
            "replay request ignored: 'id' must be a string of 1-128 characters: %r", payload[:80]
        )
        return None
    if isinstance(since, bool) or not isinstance(since, int) or since < 0:
        log.warning(
            "replay request ignored: 'since_ms' must be a non-negative integer: %r", payload[:80]
        )
        return None
    return ReplayRequest(rid, since)


class TokenBucket:
    """At most ``rate`` takes a second on average, bursts up to ``burst``; injected clock."""

    def __init__(
        self, rate: float, burst: float | None = None, clock: Callable[[], float] = time.monotonic
    ):
        self.rate = rate
        self.burst = burst if burst is not None else max(1.0, rate)
        self.clock = clock
        self._tokens = self.burst
        self._at = self.clock()

    def available(self) -> int:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        return int(self._tokens)

    def take(self, n: int = 1) -> None:
        self._tokens -= n

    def wait_hint(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1 - self._tokens) / self.rate) if self.rate > 0 else 1.0
