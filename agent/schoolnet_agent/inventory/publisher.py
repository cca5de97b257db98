"""Send inventory retained on the ``inventory`` channel: at start, then only when it changes.

Inventory is bulky next to telemetry and almost never changes, so it is read once an hour and
sent only when its hash differs from the last one sent (and always once per start, so a
collector that lost it gets it back). It is retained: the registry and the planners' reports
read the last value at any time. The same change detection serves the projectors and boards a
gateway reports (``ChangeDetector``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from schoolnet_agent.delivery.outgoing import Outgoing
from schoolnet_agent.protocol import INVENTORY, SCHEMA_VERSION, encode
from schoolnet_agent.util.logonce import LogLimiter

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 3600.0


def build_inventory_report(
    school: str,
    device: str,
    kind: str,
    seq: int,
    inventory: dict[str, Any],
    ts_ms: int | None = None,
) -> dict[str, Any]:
    """The ``inventory`` sibling of ``build_report``: same envelope, ``inventory`` object."""
    return {
        "schema": SCHEMA_VERSION,
        "school": school,
        "device": device,
        "kind": kind,
        "seq": seq,
        "ts": ts_ms if ts_ms is not None else int(time.time() * 1000),
        "inventory": inventory,
    }


class ChangeDetector:
    """Remembers the hash of the last inventory sent."""

    def __init__(self) -> None:
        self.last: str | None = None

    def changed(self, inventory: dict[str, Any]) -> bool:
        digest = hashlib.sha256(json.dumps(inventory, sort_keys=True).encode()).hexdigest()
        if digest == self.last:
            return False
        self.last = digest
        return True


class InventoryPublisher:
    """This machine's inventory; ``tick()`` is called every interval and works once an hour.

    ``send`` is the runner's ``send`` (an Outgoing in, True when handed over); ``collect``
    returns the inventory dict (default: the platform reader plus ``machine_id``)."""

    def __init__(
        self,
        school: str,
        device: str,
        kind: str,
        next_seq: Callable[[], int],
        send: Callable[[Outgoing], bool],
        collect: Callable[[], dict[str, Any]],
        clock: Callable[[], float] = time.monotonic,
        check_every: float = CHECK_EVERY_SECONDS,
    ):
        self.school, self.device, self.kind = school, device, kind
        self.next_seq, self.send, self.collect = next_seq, send, collect
        self.clock, self.check_every = clock, check_every
        self.detector = ChangeDetector()
        self.sent = 0
        self._due: float | None = None
        self._limiter = LogLimiter(log)

    def tick(self) -> bool:
        """Check if due; True when an inventory was sent."""
        now = self.clock()
        if self._due is not None and now < self._due:
            return False
        self._due = now + self.check_every
        try:
            inventory = self.collect()
        except Exception as exc:
            self._limiter.log(
                f"inventory:{type(exc).__name__}",
                logging.ERROR,
                "inventory not collected: %r; next try in %.0f s",
                exc,
                self.check_every,
                exc_info=True,
            )
            return False
        if not self.detector.changed(inventory):
            return False
        payload = encode(
            build_inventory_report(self.school, self.device, self.kind, self.next_seq(), inventory)
        )
        if self.send(Outgoing(INVENTORY, payload, retain=True)):
            self.sent += 1
            log.info("inventory sent (%d keys)", len(inventory))
            return True
        self.detector.last = None  # not handed over: try again at the next check
        return False


def default_collect(state_directory: str) -> Callable[[], dict[str, Any]]:
    """The platform reader with ``machine_id``, for ``InventoryPublisher``."""

    def collect() -> dict[str, Any]:
        from schoolnet_agent.inventory.machine import collect_facts, machine_inventory

        return machine_inventory(state_directory, collect_facts())

    return collect
