"""Disk activity per physical disk, as monotonic counters (the collector derives rates).

Counters rather than rates: a report lost on a flaky link loses nothing, since the next one
still carries the totals. On Linux a disk is physical when ``/sys/block/<name>/device``
exists, which leaves out partitions, loop, RAM, zram, LVM and RAID devices.
"""

from __future__ import annotations

import os
from typing import Any

import psutil

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample

MAX_DISKS = 16


class DiskIoProbe(Probe):
    name = "diskio"
    description = "Reads and writes per physical disk since boot."
    instance = "disk name (`sda`, `nvme0n1`, `PhysicalDrive0`)"
    fields = (
        Field("read_bytes_total", "bytes", "bytes read since boot"),
        Field("write_bytes_total", "bytes", "bytes written since boot"),
        Field("read_ops_total", "operations", "read operations since boot", optional=True),
        Field("write_ops_total", "operations", "write operations since boot", optional=True),
        Field("busy_ms_total", "ms", "milliseconds the disk was busy since boot (Linux)"),
    )

    def __init__(self, ps: Any = psutil, sys_block: str = "/sys/block") -> None:
        self.ps = ps
        self.sys_block = sys_block

    def collect(self) -> list[Sample]:
        counters = self.ps.disk_io_counters(perdisk=True) or {}
        samples = []
        for disk in sorted(counters):
            if not self.is_physical(disk):
                continue
            c = counters[disk]
            samples.append(
                self.sample(
                    {
                        "read_bytes_total": c.read_bytes,
                        "write_bytes_total": c.write_bytes,
                        "read_ops_total": c.read_count,
                        "write_ops_total": c.write_count,
                        "busy_ms_total": getattr(c, "busy_time", None),
                    },
                    instance=disk,
                )
            )
        return samples[:MAX_DISKS]

    def is_physical(self, disk: str) -> bool:
        if not os.path.isdir(self.sys_block):  # Windows, macOS: psutil lists physical drives
            return True
        return os.path.exists(os.path.join(self.sys_block, disk, "device"))
