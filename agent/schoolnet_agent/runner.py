"""The agent's main loop: every interval collect, build one report, hand it over for delivery.

Reports are scheduled on the monotonic clock, so they neither drift (a collection that takes
300 ms does not push every later report back) nor bunch up when the wall clock is corrected
by NTP. After a pause longer than an interval (a suspended laptop) the missed slots are
skipped, not fired in a burst.

Delivery is one seam, ``deliver(Outgoing)`` (``delivery/outgoing.py``): every message the agent
sends (telemetry, events, inventory, and reports a gateway sends for the projectors and boards
it probes) passes through it, so the on-disk spool for schools that are offline for days has
one place to sit. The runner has its parts built (``assembly.py``) and drives them.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from schoolnet_agent import __version__
from schoolnet_agent.assembly import load_probes, open_delivery
from schoolnet_agent.config import AgentConfig
from schoolnet_agent.delivery.outgoing import Outgoing
from schoolnet_agent.delivery.sequence import SequenceCounter
from schoolnet_agent.delivery.transport import MqttTransport
from schoolnet_agent.inventory.publisher import InventoryPublisher, default_collect
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import (
    EVENTS,
    TELEMETRY,
    Sample,
    build_events_report,
    build_report,
    encode,
)
from schoolnet_agent.subdevices import Subdevices
from schoolnet_agent.util.logonce import LogLimiter

log = logging.getLogger(__name__)


class Runner:
    def __init__(
        self,
        config: AgentConfig,
        *,
        transport: MqttTransport | None = None,
        probes: ProbeSet | None = None,
        sequence: SequenceCounter | None = None,
        deliver: Callable[[Outgoing], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        inventory: InventoryPublisher | None = None,
        subdevices: Subdevices | None = None,
    ):
        self.config = config
        dev = config.device
        self.transport = transport or MqttTransport(config.mqtt, dev.school, dev.id)
        self.probes = probes or ProbeSet(load_probes(config))
        self.sequence = sequence or SequenceCounter(config.state.directory)
        # The on-disk spool (delivery.py) unless a deliver function is given or it is disabled.
        self.delivery = open_delivery(config, self.transport) if deliver is None else None
        self.deliver = deliver or (self.delivery.deliver if self.delivery else self._publish)
        if self.delivery:
            self.probes.probes = [
                p
                for p in self.probes.probes  # a metered link skips probes
                if not (self.delivery.metered and p.uses_data)
            ]
            self.probes.probes.extend(self.delivery.probes())
        self.clock = clock
        self.stop_event = threading.Event()
        self.reports = 0
        self._limiter = LogLimiter(log)
        # Hardware inventory (attach_inventory; `run` sets it up): sent at start and on change.
        self.inventory = inventory
        # Projectors and boards a gateway reports as devices of their own ([[projectors]], [[boards]]).
        self.subdevices = subdevices or Subdevices.from_config(config, self.send)

    def attach_inventory(self) -> None:
        """Send this machine's inventory (inventory/publisher.py) at start and when it changes,
        numbered and sent like the runner's own reports."""
        dev = self.config.device
        self.inventory = InventoryPublisher(
            dev.school,
            dev.id,
            dev.kind,
            self.sequence.next,
            self.send,
            default_collect(self.config.state.directory),
            self.clock,
        )

    def build(self) -> bytes:
        """Collect every probe once and encode the report."""
        dev = self.config.device
        report = build_report(
            dev.school,
            dev.id,
            dev.kind,
            self.sequence.next(),
            self._samples(),
            interval=dev.interval_seconds,
            agent=__version__,
        )
        return encode(report)

    def _samples(self) -> list[Sample]:
        samples = self.probes.collect()
        return self.delivery.shape(samples, self.probes) if self.delivery else samples

    def tick(self) -> None:
        """One report, then the events the probes noticed, the inventory when due and changed,
        and the reports of a gateway's projectors and boards; any failure is logged and the
        loop goes on."""
        if self.send(Outgoing(TELEMETRY, self.build())):
            self.reports += 1
        self.send_events()
        if self.inventory is not None:
            self.inventory.tick()
        self.subdevices.tick()

    def send_events(self) -> None:
        """The probes' pending events as one report on the ``events`` channel (none: nothing)."""
        events = self.probes.events()
        if events:
            dev = self.config.device
            self.send(
                Outgoing(
                    EVENTS,
                    encode(
                        build_events_report(
                            dev.school, dev.id, dev.kind, self.sequence.next(), events
                        )
                    ),
                )
            )

    def send(self, message: Outgoing) -> bool:
        """Hand one message to delivery; a failure is logged (rate-limited), never raised."""
        try:
            self.deliver(message)
            return True
        except Exception as exc:
            self._limiter.log(
                f"send:{message.channel}:{type(exc).__name__}",
                logging.ERROR,
                "%s message not sent: %r",
                message.channel,
                exc,
                exc_info=True,
            )
            return False

    def _publish(self, message: Outgoing) -> Any:
        return self.transport.publish(
            message.channel, message.payload, device=message.device, retain=message.retain
        )

    def run(self) -> None:
        """Report until ``stop()``; then announce ``offline`` and disconnect."""
        interval = self.config.device.interval_seconds
        log.info(
            "agent %s for %s/%s: probes %s, every %gs",
            __version__,
            self.config.device.school,
            self.config.device.id,
            ", ".join(self.probes.names) or "none",
            interval,
        )
        self.transport.start()
        if self.delivery:
            self.delivery.start()
        due = self.clock()
        try:
            while not self.stop_event.is_set():
                self.tick()
                due = next_due(due, interval, self.clock())
                self.stop_event.wait(max(due - self.clock(), 0.0))
        finally:
            if self.delivery:
                self.delivery.stop()
            self.transport.stop(graceful=True)
            if self.delivery:
                self.delivery.close()
            log.info("stopped after %d reports", self.reports)

    def stop(self, *_args: object) -> None:
        self.stop_event.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM (service stop), SIGINT (Ctrl-C) and, on Windows, SIGBREAK stop cleanly."""
        for name in ("SIGTERM", "SIGINT", "SIGBREAK"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), self.stop)


def next_due(due: float, interval: float, now: float) -> float:
    """The next slot on the grid ``due + k × interval`` that is still ahead of ``now``."""
    due += interval
    if due <= now:
        due += math.ceil((now - due) / interval + 1e-9) * interval
    return due
