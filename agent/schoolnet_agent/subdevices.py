"""The projectors and boards a gateway reports, each as a device of its own.

Every interval the gateway polls them all (in a few threads: one projector in eco standby
costs its timeout, and must not delay the others), then for each one sends:

* telemetry: a report with the probe's sample(s), ``kind`` projector/board, and a sequence
  number of the sub-device's own (``seq-<id>`` in the state directory), since ``seq`` is
  per device;
* availability: retained ``online`` / ``offline`` when the gateway starts or stops reaching
  it (the gateway's Last Will covers only the gateway). It is not rewritten when the gateway
  stops: read a sub-device's availability together with its gateway's;
* inventory: retained, when what the probe learnt of the device (a projector's PJLink answers:
  manufacturer, model, serial, name, lamps) changes.

Which probe reports which devices comes from the registry (``probes/__init__.py``: a probe with
a ``section`` reports every entry of that section, and its name is their kind).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from schoolnet_agent import __version__
from schoolnet_agent.assembly import probe_context
from schoolnet_agent.delivery.outgoing import Outgoing
from schoolnet_agent.delivery.sequence import SequenceCounter
from schoolnet_agent.inventory.publisher import ChangeDetector, build_inventory_report
from schoolnet_agent.probes import PROBES
from schoolnet_agent.probes.base import Probe
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import (
    AVAILABILITY,
    INVENTORY,
    OFFLINE,
    ONLINE,
    TELEMETRY,
    Sample,
    build_report,
    encode,
)

if TYPE_CHECKING:
    from schoolnet_agent.config import AgentConfig

log = logging.getLogger(__name__)

MAX_WORKERS = 8


@dataclass
class Subdevice:
    id: str
    kind: str
    probe: Probe
    sequence: SequenceCounter
    probes: ProbeSet = field(init=False)
    online: bool | None = None  # last availability sent
    inventory: ChangeDetector = field(default_factory=ChangeDetector)

    def __post_init__(self) -> None:
        self.probes = ProbeSet([self.probe])


class Subdevices:
    """Polls and reports the configured sub-devices; ``tick()`` once per gateway interval."""

    def __init__(
        self,
        school: str,
        devices: list[Subdevice],
        send: Callable[[Any], bool],
        interval: float | None = None,
    ):
        self.school = school
        self.devices = devices
        self.send = send
        self.interval = interval

    @classmethod
    def from_config(cls, config: AgentConfig, send: Callable[[Any], bool]) -> Subdevices:
        """A device for every configured entry, probed by its section's probe (imported only
        when the section has entries)."""
        directory = os.path.join(config.state.directory, "devices")
        context = probe_context(config)
        kinds = PROBES.sections()
        devices = []
        for section, entries in config.subdevices.items():
            if not entries:
                continue
            probe_class = PROBES.probe_class(kinds[section])
            devices += [
                Subdevice(
                    s.id,
                    kinds[section],
                    probe_class.from_settings(s, context),
                    SequenceCounter(directory, f"seq-{s.id}"),
                )
                for s in entries
            ]
        return cls(config.device.school, devices, send, config.device.interval_seconds)

    def tick(self) -> None:
        if not self.devices:
            return
        with ThreadPoolExecutor(
            min(MAX_WORKERS, len(self.devices)), thread_name_prefix="subdevice"
        ) as pool:
            results = list(pool.map(lambda d: d.probes.collect(), self.devices))
        for device, samples in zip(self.devices, results, strict=False):
            self.report(device, samples)

    def report(self, device: Subdevice, samples: list[Sample]) -> None:
        reachable = bool(getattr(device.probe, "reachable", True))
        if reachable != device.online and self.send(
            Outgoing(AVAILABILITY, ONLINE if reachable else OFFLINE, device=device.id, retain=True)
        ):
            if device.online is not None or not reachable:
                log.info(
                    "%s %s is %s",
                    device.kind,
                    device.id,
                    "reachable" if reachable else "not reachable",
                )
            device.online = reachable
        if samples:
            report = build_report(
                self.school,
                device.id,
                device.kind,
                device.sequence.next(),
                samples,
                interval=self.interval,
                agent=__version__,
            )
            self.send(Outgoing(TELEMETRY, encode(report), device=device.id))
        inventory = getattr(device.probe, "inventory", None)
        if inventory and device.inventory.changed(inventory):
            payload = encode(
                build_inventory_report(
                    self.school, device.id, device.kind, device.sequence.next(), inventory
                )
            )
            if not self.send(Outgoing(INVENTORY, payload, device=device.id, retain=True)):
                device.inventory.last = None
