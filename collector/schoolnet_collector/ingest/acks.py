"""Acknowledge a message to the broker only once it is stored (at-least-once delivery).

The subscriber runs paho with ``manual_ack``: the broker keeps every QoS 1 message it sent us
until we PUBACK it, and sends it again if our session resumes without that ack. So an ack is
sent only after the message is in InfluxDB, in the collector's durable spool, or (rejected)
in the dead-letter store. A crash in between costs a redelivery, never a loss; the redelivered
report rewrites the same point (same measurement, tags and time), so queries do not change.

A packet id (mid) means something only within one session of one connection: after a
reconnect whose session the broker lost, mid 7 may be a different message. Every message
carries the connection *generation* it arrived on; an ack from an older generation is
dropped (the broker re-sends that message, and it is stored again, harmlessly).

The tracker also knows the oldest message not yet stored, which bounds the checkpoint
(``checkpoint.py``) that replay requests are measured from.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from schoolnet_collector.ingest.inbox import Inbound

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt


@dataclass(slots=True)
class Receipt:
    """The acks owed for a group of messages: ``(mid, qos, generation)`` each."""

    token: int
    owed: list[tuple[int, int, int]]
    oldest_ms: int


@dataclass
class AckTracker:
    client: mqtt.Client | None = None  # set by the subscriber
    generation: int = 0
    acked: int = 0
    dropped: int = 0  # acks not sent: their connection was gone
    owed: int = 0  # messages taken from the inbox and not yet stored
    _open: dict[int, int] = field(default_factory=dict)  # receipt token -> oldest received_ms
    _tokens: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- connection events (paho's network thread) -------------------------------------------
    def new_connection(self, client: mqtt.Client) -> None:
        with self._lock:
            self.client = client
            self.generation += 1

    def connection_lost(self) -> None:
        """Called before paho reconnects: acks still in hand from now on are not sent."""
        with self._lock:
            self.generation += 1

    # -- receipts (converting and writing threads) --------------------------------------------
    def receipt(self, messages: Sequence[Inbound]) -> Receipt:
        """Register messages taken from the inbox; settle the receipt once they are stored."""
        owed = [(m.mid, m.qos, m.generation) for m in messages if m.qos]
        oldest = min((m.received_ms for m in messages), default=0)
        with self._lock:
            token = next(self._tokens)
            self._open[token] = oldest
            self.owed += len(owed)
        return Receipt(token, owed, oldest)

    def settle(self, receipts: Iterable[Receipt]) -> None:
        """The messages are stored: ack those whose connection is still the current one.

        The lock is held while acks are queued so that a disconnect cannot slip between the
        generation check and the ack; paho clears its outgoing queue before reconnecting."""
        with self._lock:
            for r in receipts:
                if self._open.pop(r.token, None) is None:
                    continue  # settled before
                self.owed -= len(r.owed)
                for mid, qos, generation in r.owed:
                    if generation == self.generation and self.client is not None:
                        self.client.ack(mid, qos)
                        self.acked += 1
                    else:
                        self.dropped += 1

    def oldest_open_ms(self) -> int | None:
        """Arrival time of the oldest message taken from the inbox but not yet stored."""
        with self._lock:
            return min(self._open.values(), default=None)
