"""The machine as a whole: how long it has been up, how busy with processes, who is logged in.

``boot_time_seconds`` lets the collector tell a reboot (it changes) from a network outage
(it does not) when a device comes back after a silence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psutil

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample


class SystemProbe(Probe):
    name = "system"
    description = "Uptime, boot time, processes and logged-in users."
    fields = (
        Field("uptime_seconds", "seconds", "time since boot"),
        Field(
            "boot_time_seconds",
            "seconds",
            "boot time, seconds since the Unix epoch (UTC)",
            optional=True,
        ),
        Field("process_count", "count", "running processes", optional=True),
        Field(
            "users_count", "count", "user sessions logged in (console and remote)", optional=True
        ),
    )

    def __init__(self, ps: Any = psutil, clock: Callable[[], float] = time.time) -> None:
        self.ps = ps
        self.clock = clock

    def collect(self) -> list[Sample]:
        boot = self.ps.boot_time()
        return [
            self.sample(
                {
                    "uptime_seconds": round(max(self.clock() - boot, 0.0), 1),
                    "boot_time_seconds": int(boot),
                    "process_count": len(self.ps.pids()),
                    "users_count": len(self.ps.users()),
                }
            )
        ]
