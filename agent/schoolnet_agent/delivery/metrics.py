"""The delivery's own measurements, added to every report: the spool's health and the budget.

They are probes (fields declared as data, cleaned like any other sample) that nobody enables:
the delivery adds them (``SpooledDelivery.probes``). What is lost (``dropped_total``) and spent
(``used_bytes``) stays in a lean report; the rest can wait for a fixed line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample

if TYPE_CHECKING:
    from schoolnet_agent.delivery.budget import Budget
    from schoolnet_agent.delivery.spool import Spool


class SpoolProbe(Probe):
    """The spool's own health, reported with every report (``spool`` measurement)."""

    name = "spool"
    description = "the agent's on-disk spool of unsent messages"
    fields = (
        Field("pending_count", "count", "messages stored, not yet acknowledged by the broker"),
        Field(
            "acked_count", "count", "acknowledged messages kept for replay requests", optional=True
        ),
        Field(
            "stored_bytes",
            "bytes",
            "what the spool holds, counted against its bound",
            optional=True,
        ),
        Field("max_bytes", "bytes", "the spool's bound (spool.max_mb)", optional=True),
        Field("dropped_total", "messages", "unsent messages dropped because the spool was full"),
        Field(
            "quarantined_count",
            "count",
            "damaged spool files set aside since the agent started",
            optional=True,
        ),
    )

    def __init__(self, spool: Spool):
        self.spool = spool

    def collect(self) -> list[Sample]:
        s = self.spool.stats()
        return [
            self.sample(
                {
                    "pending_count": s.pending,
                    "acked_count": s.acked,
                    "stored_bytes": s.stored_bytes,
                    "max_bytes": s.max_bytes,
                    "dropped_total": s.dropped_total,
                    "quarantined_count": s.quarantined,
                }
            )
        ]


class BudgetProbe(Probe):
    """This device's data use this month against its share of the school's budget."""

    name = "budget"
    description = "bytes sent and received this month (estimated, MQTT + TCP/IP)"
    fields = (
        Field("metered", "bool", "1 when the uplink is metered (batching, lean reports)"),
        Field("used_bytes", "bytes", "estimated bytes on the wire this calendar month (UTC)"),
        Field(
            "allowed_bytes",
            "bytes",
            "this device's share: school_monthly_mb / school_devices",
            optional=True,
        ),
        Field("used_percent", "percent", "used / allowed", optional=True),
        Field("keepalive_seconds", "seconds", "the MQTT keepalive in use", optional=True),
    )

    def __init__(self, budget: Budget):
        self.budget = budget

    def collect(self) -> list[Sample]:
        return [self.budget.sample()]


# The order `schoolnet-agent probes` documents them in.
DELIVERY_METRICS: tuple[type[Probe], ...] = (SpoolProbe, BudgetProbe)
