"""Run a simulated fleet: connect every school, then publish each device every ``interval``.

Each device reports at its own random phase within the interval, so the broker sees a smooth
stream (about devices / interval messages a second) instead of one burst a minute. One loop on
one thread pops the next due report from a heap, builds it and hands it to the school's
transport; paho's network threads do the I/O. Flow control is per school: a school with more
than ``window`` unacknowledged messages spools instead of queueing without bound in paho.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from schoolnet_agent.settings.mqtt import MqttSettings
from schoolnet_collector.simulator.model import School
from schoolnet_collector.simulator.profile import Profile
from schoolnet_collector.simulator.progress import Snapshot, snapshot_of
from schoolnet_collector.simulator.school_sim import SchoolSim
from schoolnet_collector.simulator.variation import SchoolClock


class StopSignal(Protocol):
    """A ``threading.Event``, or in a worker process the supervisor's multiprocessing one."""

    def is_set(self) -> bool: ...
    def set(self) -> None: ...
    def wait(self, timeout: float | None = None) -> bool: ...


@dataclass
class RunOptions:
    interval: float = 60.0
    duration: float | None = None  # seconds; None = until stopped
    seed: int = 0
    incidents: bool = True  # random failovers and outages
    window: int = 100  # per-school unacknowledged messages before spooling
    connect_timeout: float = 30.0
    progress_every: float = 10.0
    drain_seconds: float = 30.0  # at the end of --duration: time to send what is spooled


class Simulation:
    def __init__(
        self,
        profile: Profile,
        schools: list[School],
        settings: MqttSettings,
        options: RunOptions,
        report: Callable[[Snapshot], None] = lambda s: None,
        part: int = 0,
    ):
        self.options = options
        self.report = report
        self.part = part
        self.clock = SchoolClock(profile.timezone, profile.behaviour.school_day)
        self.rng = random.Random(f"{options.seed}/{part}")
        # Link changes (drop a school's connection, bring it back) wait on the network: a few
        # threads run them (in order per school) so that the publishing loop never waits.
        self.link_tasks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="link")
        self.sims = [
            SchoolSim(
                s,
                profile,
                settings,
                seed=options.seed,
                interval=options.interval,
                window=options.window,
                incidents=options.incidents,
                link_tasks=self.link_tasks,
            )
            for s in schools
            if s.online
        ]
        self.lag = 0.0

    def snapshot(self) -> Snapshot:
        """Counters since start; ``lag`` is the worst since the previous snapshot."""
        snap = snapshot_of(self.part, self.sims, self.lag)
        self.lag = 0.0
        return snap

    def connect(self) -> int:
        """Start every school's connection; wait until all are up or the timeout passes."""
        for sim in self.sims:
            sim.start()
        deadline = time.monotonic() + self.options.connect_timeout
        connected = 0
        while time.monotonic() < deadline:
            connected = sum(sim.transport.connected for sim in self.sims)
            if connected == len(self.sims):
                break
            time.sleep(0.1)
        return connected

    def run(self, stop: StopSignal) -> int:
        """Publish until ``stop`` is set or the duration has passed; return messages sent."""
        interval = self.options.interval
        start = time.monotonic()
        end = start + self.options.duration if self.options.duration else float("inf")
        heap = [
            (start + self.rng.uniform(0, interval), si, di)
            for si, sim in enumerate(self.sims)
            for di in range(len(sim.devices))
        ]
        heapq.heapify(heap)
        spooling: set[SchoolSim] = set()
        next_report = start + self.options.progress_every
        while not stop.is_set():
            now_m = time.monotonic()
            if now_m >= end:
                break
            now = time.time()
            busy = self.clock.busy(now)
            while heap and heap[0][0] <= now_m:
                due, si, di = heapq.heappop(heap)
                sim = self.sims[si]
                sim.report(di, now, busy, self.rng)
                if sim.spool:
                    spooling.add(sim)
                heapq.heappush(heap, (due + interval, si, di))
                self.lag = max(self.lag, now_m - due)
            for sim in list(spooling):
                sim.drain()
                if not sim.spool:
                    spooling.discard(sim)
            if now_m >= next_report:
                self.report(self.snapshot())
                next_report += self.options.progress_every
            wait = (heap[0][0] if heap else end) - time.monotonic()
            stop.wait(min(max(wait, 0.0), 0.05 if spooling else 0.5, max(end - now_m, 0.0)))
        self._drain_spools(spooling, stop)
        self.report(self.snapshot())
        return sum(sim.sent for sim in self.sims)

    def _drain_spools(self, spooling: set[SchoolSim], stop: StopSignal) -> None:
        """At the end of a timed run, send what the schools still hold (as an agent sends its
        spool before a clean shutdown), so a run's every report reaches the broker; a signal
        or ``drain_seconds`` cuts it short."""
        deadline = time.monotonic() + self.options.drain_seconds
        while spooling and not stop.is_set() and time.monotonic() < deadline:
            for sim in list(spooling):
                sim.drain()
                if not sim.spool:
                    spooling.discard(sim)
            stop.wait(0.05)

    def stop(self) -> None:
        """Retained ``offline`` for every device of every school, then disconnect cleanly.

        Stops run on a few threads: a school still waiting to reconnect holds its stop for up
        to a second inside paho, and hundreds of those in a row would take minutes.
        """
        self.link_tasks.shutdown(wait=True, cancel_futures=True)
        for sim in self.sims:
            sim.announce_offline()
        with ThreadPoolExecutor(max_workers=32) as pool:
            list(pool.map(lambda sim: sim.transport.stop(graceful=True), self.sims))
