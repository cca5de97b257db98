"""Memory and swap: old lab PCs with 1–2 GB swap hard, which users feel as a "slow computer"."""

from __future__ import annotations

from typing import Any

import psutil

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample


class MemProbe(Probe):
    name = "mem"
    description = "Physical memory and swap."
    fields = (
        Field("total_bytes", "bytes", "installed physical memory seen by the OS", optional=True),
        Field("available_bytes", "bytes", "memory programs can still get without swapping"),
        Field(
            "used_bytes", "bytes", "memory in use (as psutil defines it for the OS)", optional=True
        ),
        Field(
            "used_percent", "percent", "share of memory not available: (total − available) / total"
        ),
        Field("swap_total_bytes", "bytes", "swap space (page file on Windows)", optional=True),
        Field("swap_used_bytes", "bytes", "swap in use", optional=True),
        Field("swap_used_percent", "percent", "share of swap in use"),
    )

    def __init__(self, ps: Any = psutil) -> None:
        self.ps = ps

    def collect(self) -> list[Sample]:
        vm = self.ps.virtual_memory()
        sw = self.ps.swap_memory()
        return [
            self.sample(
                {
                    "total_bytes": vm.total,
                    "available_bytes": vm.available,
                    "used_bytes": vm.used,
                    "used_percent": round(vm.percent, 2),
                    "swap_total_bytes": sw.total,
                    "swap_used_bytes": sw.used,
                    "swap_used_percent": round(sw.percent, 2),
                }
            )
        ]
