"""One simulated school: its gateway's MQTT connection and the reports of all its devices.

The school's gateway holds the only connection (the agent's own ``MqttTransport``, client id
``sim-<school>``) and publishes for every device with ``device=``, as a real gateway does for
the projectors and boards it probes. Reports go to a bounded spool instead of the broker while
the simulated link is down, while the connection is lost, or while too many messages wait for
acknowledgement; ``drain()`` sends the spool in order once there is room, so nothing is lost
that a real agent's store-and-forward would keep.
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait

from schoolnet_agent import __version__ as agent_version
from schoolnet_agent.delivery.transport import MqttTransport
from schoolnet_agent.protocol import (
    EVENTS,
    INVENTORY,
    SCHEMA_VERSION,
    TELEMETRY,
    build_report,
    encode,
)
from schoolnet_agent.settings.mqtt import MqttSettings
from schoolnet_collector.simulator.devices import GATEWAY_ID
from schoolnet_collector.simulator.incidents import LinkEvent, LinkState
from schoolnet_collector.simulator.inventory import pc_inventory
from schoolnet_collector.simulator.model import Device, School
from schoolnet_collector.simulator.pc_readings import PcReadings
from schoolnet_collector.simulator.peripheral_readings import PeripheralReadings
from schoolnet_collector.simulator.profile import Profile
from schoolnet_collector.simulator.uplink_readings import UplinkReadings

AGENT = f"sim-{agent_version}"
log = logging.getLogger(__name__)
PC_KINDS = ("gateway", "lab_pc", "admin_pc")


class DeviceSim:
    __slots__ = ("device", "id", "kind", "readings", "seq")

    def __init__(self, device: Device, readings: PcReadings | PeripheralReadings, seq: int):
        self.id, self.kind, self.readings, self.seq = device.id, device.kind, readings, seq
        self.device = device


class SchoolSim:
    def __init__(
        self,
        school: School,
        profile: Profile,
        settings: MqttSettings,
        *,
        seed: int,
        interval: float,
        window: int,
        incidents: bool = True,
        link_tasks: Executor | None = None,
    ):
        now = time.time()
        self.link_tasks = link_tasks  # where link changes run, off the publishing loop
        self._link_task: Future[None] | None = None
        seq = int(now * 1000)  # grows across simulator restarts, as the protocol asks
        self.school = school
        self.interval = interval
        self.window = window
        self.devices = [
            DeviceSim(d, self._readings(seed, d, now, profile.as_of_year), seq)
            for d in school.devices
            if not d.broken
        ]
        self.link = LinkState(school, profile.behaviour, incidents)
        self.uplink = UplinkReadings(seed, school)
        self.spool: deque[tuple[str, str, bytes]] = deque(
            maxlen=max(1, profile.behaviour.spool_max_reports * len(self.devices))
        )
        self.sent = 0
        self.dropped = 0
        self.seed = seed
        self.inventory_sent = False
        self.transport = MqttTransport(
            settings, school.id, GATEWAY_ID, client_id=f"sim-{school.id}"
        )
        self.transport.on_connect.append(self._announce)

    def _readings(
        self, seed: int, device: Device, now: float, as_of_year: int
    ) -> PcReadings | PeripheralReadings:
        if device.kind in PC_KINDS:
            return PcReadings(seed, self.school.id, device, now)
        return PeripheralReadings(seed, self.school.id, device, now, as_of_year)

    def _announce(self) -> None:
        """On every (re)connect: retained ``online`` for each device the gateway speaks for;
        on the first connect also each computer's retained inventory (it never changes here)."""
        for dev in self.devices:
            if dev.id != GATEWAY_ID:
                self.transport.publish_availability(True, device=dev.id)
        if not self.inventory_sent:
            self.inventory_sent = True
            for dev in self.devices:
                if dev.kind in PC_KINDS:
                    self.transport.publish(
                        INVENTORY, self._inventory_payload(dev), device=dev.id, retain=True
                    )

    def _inventory_payload(self, dev: DeviceSim) -> bytes:
        assert isinstance(dev.readings, PcReadings)  # computers only (see _readings)
        dev.seq += 1
        return encode(
            {
                "schema": SCHEMA_VERSION,
                "school": self.school.id,
                "device": dev.id,
                "kind": dev.kind,
                "seq": dev.seq,
                "ts": int(time.time() * 1000),
                "agent": AGENT,
                "inventory": pc_inventory(self.seed, self.school.id, dev.device, dev.readings),
            }
        )

    # -- reports ---------------------------------------------------------------------------

    def report(self, index: int, now: float, busy: bool, rng: random.Random) -> None:
        dev = self.devices[index]
        samples = dev.readings.samples(now, busy, rng)
        ts = int(now * 1000)
        if dev.id == GATEWAY_ID:
            was_down = self.link.down
            events = self.link.step(now, self.interval, rng)
            if self.link.down and not was_down:
                self._in_background(self._link_lost)
            elif was_down and not self.link.down:
                self._in_background(self.transport.start)
            samples.append(self.uplink.sample(self.link, busy, rng))
            if events:
                self._send(dev.id, EVENTS, self._events_payload(dev, ts, events))
        dev.seq += 1
        report = build_report(
            self.school.id,
            dev.id,
            dev.kind,
            dev.seq,
            samples,
            ts_ms=ts,
            interval=self.interval,
            agent=AGENT,
        )
        self._send(dev.id, TELEMETRY, encode(report))

    def _events_payload(self, dev: DeviceSim, ts: int, events: list[LinkEvent]) -> bytes:
        dev.seq += 1
        return encode(
            {
                "schema": SCHEMA_VERSION,
                "school": self.school.id,
                "device": dev.id,
                "kind": dev.kind,
                "seq": dev.seq,
                "ts": ts,
                "agent": AGENT,
                "events": [e.as_json() for e in events],
            }
        )

    def _send(self, device: str, channel: str, payload: bytes) -> None:
        if self.spool or not self._can_send():
            if len(self.spool) == self.spool.maxlen:
                self.dropped += 1
            self.spool.append((device, channel, payload))
            return
        self.transport.publish(channel, payload, device=device)
        self.sent += 1

    def _can_send(self) -> bool:
        return (
            not self.link.down and self.transport.connected and self.transport.pending < self.window
        )

    def drain(self) -> int:
        """Send spooled messages while the link is up and the in-flight window has room."""
        if self.link.down or not self.transport.connected:
            return 0
        budget = min(len(self.spool), self.window - self.transport.pending)
        for _ in range(max(0, budget)):
            device, channel, payload = self.spool.popleft()
            self.transport.publish(channel, payload, device=device)
        self.sent += max(0, budget)
        return max(0, budget)

    # -- connection --------------------------------------------------------------------------

    def _in_background(self, task: Callable[[], None]) -> None:
        """Run ``task`` on the link pool after this school's previous link task has finished.

        The previous task was queued earlier, so it is running or done when this one starts:
        waiting on it cannot deadlock the pool.
        """
        if self.link_tasks is None:
            task()
            return
        previous = self._link_task

        def chained() -> None:
            if previous is not None:
                wait([previous])  # done, failed or cancelled: this one may go
            try:
                task()
            except Exception:  # keep the pool alive; the school stays as it is
                log.exception("link change of school %s failed", self.school.id)

        self._link_task = self.link_tasks.submit(chained)

    def _link_lost(self) -> None:
        """The school drops off: its devices' Wills fire (emulated for all but the gateway,
        whose own Will the broker publishes when the socket dies)."""
        if self.transport.connected:
            for dev in self.devices:
                if dev.id != GATEWAY_ID:
                    self.transport.publish_availability(False, device=dev.id)
            self.transport.wait_for_publishes(2.0)
        self.transport.stop(graceful=False)

    def start(self) -> None:
        self.transport.start()

    def announce_offline(self) -> None:
        """Before a clean stop: retained ``offline`` for every device but the gateway, whose
        own ``offline`` the transport sends as it stops."""
        if self.transport.connected:
            for dev in self.devices:
                if dev.id != GATEWAY_ID:
                    self.transport.publish_availability(False, device=dev.id)
