"""The one seam every message the agent sends passes through.

Telemetry, events, inventory and the reports a gateway sends for its projectors and boards are
all handed over as an :class:`Outgoing` (``Runner.deliver``), so the on-disk spool for schools
that are offline for days has one place to sit, and the producers (the runner, the inventory
publisher, the sub-devices) need not know whether a spool, a batch or a plain publish follows.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for the broker: the channel of ``device`` (None: this agent's own device)."""

    channel: str
    payload: bytes
    device: str | None = None
    retain: bool = False
