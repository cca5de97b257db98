"""One worker: a slice of the province's schools, simulated in this process.

Why several processes: paho's network loop waits on ``select()``, which cannot watch file
descriptors numbered 1024 or above, and every client holds three (its socket and a wake-up
socket pair). One process therefore cannot keep much more than 300 connected clients; the
rest fail silently. The supervisor gives each worker at most ``--schools-per-process``
schools. Every worker regenerates the same fleet from the seed (cheap, deterministic) and
takes every ``parts``-th school with internet, so each slice mixes levels and districts.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import traceback
from dataclasses import dataclass
from typing import Literal, Protocol

from schoolnet_agent.settings.mqtt import MqttSettings
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.log_filter import quiet_repeats
from schoolnet_collector.simulator.profile_file import load_profile
from schoolnet_collector.simulator.progress import Snapshot
from schoolnet_collector.simulator.runner import RunOptions, Simulation, StopSignal

WorkerMessage = (
    tuple[Literal["connected"], int, int, int]  # part, schools connected, schools
    | tuple[Literal["progress"], Snapshot]
    | tuple[Literal["done"], int, int]  # part, messages sent
    | tuple[Literal["failed"], int, str]  # part, the traceback
)


class Messages(Protocol):
    """A ``queue.Queue`` (the worker on a thread) or a multiprocessing one (in processes)."""

    def put(self, item: WorkerMessage, /) -> None: ...
    def get(self, block: bool = True, timeout: float | None = None) -> WorkerMessage: ...


@dataclass
class WorkerSpec:
    profile: str  # built-in name or path: each worker loads it itself
    scale: float
    part: int
    parts: int
    settings: MqttSettings
    options: RunOptions


def run_worker(spec: WorkerSpec, stop: StopSignal, messages: Messages) -> None:
    """Connect the slice, publish until ``stop`` is set or the duration ends, then stop cleanly.

    Sends ``("connected", part, n, of)``, then ``("progress", Snapshot)`` now and then, and
    finally ``("done", part, sent)`` or ``("failed", part, text)`` on ``messages``.
    """
    if multiprocessing.parent_process() is not None:  # a child: the supervisor owns signals
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    quiet_repeats(logging.getLogger("schoolnet_agent.delivery.transport"))
    sim = None
    try:
        profile = load_profile(spec.profile)
        online = [s for s in generate_fleet(profile, spec.scale, spec.options.seed) if s.online]
        sim = Simulation(
            profile,
            online[spec.part :: spec.parts],
            spec.settings,
            spec.options,
            report=lambda snap: messages.put(("progress", snap)),
            part=spec.part,
        )
        messages.put(("connected", spec.part, sim.connect(), len(sim.sims)))
        sim.run(stop)
        sim.stop()
        messages.put(("done", spec.part, sum(s.sent for s in sim.sims)))
    except BaseException:  # report, never hang the supervisor waiting for this part
        messages.put(("failed", spec.part, traceback.format_exc()))
        if sim is not None:
            sim.stop()
