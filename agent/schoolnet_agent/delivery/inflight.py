"""Which published messages the broker has not acknowledged yet.

Why not ``MQTTMessageInfo.is_published()``: paho marks a message published while offline with
``rc = MQTT_ERR_NO_CONN`` and keeps raising on it even after it was delivered on reconnect. So
the transport counts acknowledgements itself, from paho's ``on_publish`` callback.

Lock order matters: paho calls ``on_publish`` while holding its own message lock, and
``publish()`` takes that same lock. So ``acked()`` (the callback side) takes no lock of ours:
it appends to a deque (atomic) and sets an Event. The publishing side registers the message id
under our lock and only then folds the acknowledgements in, so an acknowledgement that arrives
before its id is registered is never lost.

A message may carry a ``tag`` (the spool's row id): the tags of acknowledged messages are
handed out by ``take_acked()``, which is how the spool learns what it may mark as delivered.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class InflightTracker:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[int, object] = {}
        self._acks: deque[int] = deque()
        self._acked_tags: list[object] = []
        self._wakeup = threading.Event()

    def acked(self, mid: int) -> None:
        """From paho's network thread: message ``mid`` reached the broker."""
        self._acks.append(mid)
        self._wakeup.set()

    def track(
        self, send: Callable[[], T], mid_of: Callable[[T], int], tracked: bool, tag: object = None
    ) -> T:
        """Call ``send()`` and, if ``tracked``, remember the message id it returns (with
        ``tag``, handed back by ``take_acked()`` once the broker acknowledges it)."""
        with self._lock:
            self._fold()  # acks of earlier messages must not match a reused id
            result = send()
            if tracked:
                self._pending[mid_of(result)] = tag
            return result

    def _fold(self) -> None:
        while self._acks:
            mid = self._acks.popleft()
            if mid in self._pending:
                tag = self._pending.pop(mid)
                if tag is not None:
                    self._acked_tags.append(tag)

    def take_acked(self) -> list[object]:
        """Tags of the messages acknowledged since the last call."""
        with self._lock:
            self._fold()
            tags, self._acked_tags = self._acked_tags, []
            return tags

    @property
    def pending(self) -> int:
        with self._lock:
            self._fold()
            return len(self._pending)

    def wait_all(self, timeout: float) -> bool:
        """True once every tracked message is acknowledged; False after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self._wakeup.clear()  # before checking, so an ack arriving now still wakes us
            if self.pending == 0:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._wakeup.wait(min(remaining, 0.5))
