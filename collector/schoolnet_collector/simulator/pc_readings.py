"""Readings of a simulated computer (gateway, lab PC, admin PC), shaped like the agent's probes.

Metric names, fields and instances are those of the agent's ``cpu``, ``mem``, ``disk``,
``net`` and ``system`` probes (agent/schoolnet_agent/probes/README.md), a subset of each.
Pre-2010 lab PCs are slow and full: one or two cores, 1-2 GiB of RAM that is mostly used, a
small disk near its limit, a busy CPU during lessons; a few of them crash and restart now and
then (their uptime starts again from zero without a night's power-off between).
"""

from __future__ import annotations

import random

from schoolnet_agent.protocol import Sample
from schoolnet_collector.simulator.model import Device
from schoolnet_collector.simulator.variation import between, clamp, pick, stable_unit

GIB = 1024**3
GB = 1000**3
CRASHY_SHARE_OLD = 0.15  # pre-2010 lab PCs that crash now and then
CRASH_CHANCE = 0.05  # chance per report that such a PC has just restarted


class PcReadings:
    """Traits fixed at creation; counters (network bytes) and uptime advance with time."""

    __slots__ = (
        "boot",
        "cores",
        "cpu_busy",
        "cpu_idle",
        "crash_chance",
        "disk_base",
        "disk_total",
        "gateway",
        "lan_factor",
        "last",
        "mem_base",
        "mem_total",
        "procs",
        "recv",
        "sent",
        "windows",
    )

    def __init__(self, seed: int, school: str, device: Device, now: float):
        def unit(tag: str) -> float:
            return stable_unit(seed, school, device.id, tag)

        self.gateway = gateway = device.kind == "gateway"
        old = device.old and not gateway
        self.windows = not gateway and unit("os") < 0.85
        self.cores = pick(unit("cores"), (1, 2) if old else (2, 4))
        ram = (1, 2) if old else (2, 4) if gateway else (4, 8)
        disk = (80, 160) if old else (32, 64) if gateway else (250, 500)
        self.mem_total = pick(unit("ram"), ram) * GIB
        self.disk_total = pick(unit("disk"), disk) * GB
        self.mem_base = between(unit("memp"), 70, 92) if old else between(unit("memp"), 35, 65)
        self.disk_base = between(unit("diskp"), 75, 96) if old else between(unit("diskp"), 25, 70)
        self.cpu_busy = between(unit("cpub"), 40, 85) if old else between(unit("cpub"), 8, 45)
        self.cpu_idle = between(unit("cpui"), 1, 8)
        self.procs = int(between(unit("procs"), *((80, 160) if self.windows else (110, 220))))
        self.boot = now - between(unit("boot"), 600, 3 * 86400)
        self.recv = int(between(unit("recv"), 1e6, 5e9))
        self.sent = int(self.recv * between(unit("sent"), 0.05, 0.3))
        self.last = now
        self.lan_factor = 12.0 if gateway else 1.0  # a gateway carries the whole school's traffic
        self.crash_chance = CRASH_CHANCE if old and unit("crashy") < CRASHY_SHARE_OLD else 0.0

    def samples(self, now: float, busy: bool, rng: random.Random) -> list[Sample]:
        cpu = clamp((self.cpu_busy if busy else self.cpu_idle) + rng.gauss(0, 6), 0.5, 100.0)
        mem_pct = clamp(self.mem_base + (8 if busy else 0) + rng.gauss(0, 2), 5.0, 99.0)
        disk_pct = clamp(self.disk_base + rng.gauss(0, 0.05), 1.0, 99.9)
        elapsed = max(0.0, now - self.last)
        self.last = now
        if self.crash_chance and rng.random() < self.crash_chance:
            self.boot = now - rng.uniform(30, 120)  # back up a minute or two after a crash
        rate = (rng.uniform(20e3, 300e3) if busy else rng.uniform(200, 5e3)) * self.lan_factor
        self.recv += int(rate * elapsed)
        self.sent += int(rate * elapsed * rng.uniform(0.05, 0.3))
        mem_used = int(self.mem_total * mem_pct / 100)
        disk_used = int(self.disk_total * disk_pct / 100)
        return [
            Sample(
                "cpu",
                {
                    "usage_percent": round(cpu, 1),
                    "logical_count": self.cores,
                    "load1": round(cpu / 100 * self.cores * rng.uniform(0.7, 1.3), 2),
                },
            ),
            Sample(
                "mem",
                {
                    "total_bytes": self.mem_total,
                    "used_bytes": mem_used,
                    "available_bytes": self.mem_total - mem_used,
                    "used_percent": round(mem_pct, 1),
                },
            ),
            Sample(
                "disk",
                {
                    "total_bytes": self.disk_total,
                    "used_bytes": disk_used,
                    "free_bytes": self.disk_total - disk_used,
                    "used_percent": round(disk_pct, 1),
                },
                instance="C:\\" if self.windows else "/",
            ),
            Sample(
                "net",
                {"recv_bytes_total": self.recv, "sent_bytes_total": self.sent, "up": True},
                instance="Ethernet" if self.windows else "eth0",
            ),
            Sample(
                "system",
                {
                    "uptime_seconds": int(now - self.boot),
                    "boot_time_seconds": int(self.boot),
                    "process_count": self.procs + rng.randint(-5, 5),
                    "users_count": int(busy and not self.gateway),
                },
            ),
        ]
