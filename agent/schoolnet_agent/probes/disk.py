"""Disk space per real file system: a full system disk is the commonest lab-PC failure.

Only mounts that hold data are reported: pseudo and read-only image file systems (tmpfs,
squashfs of snaps, loop devices, CD-ROMs) would only add noise and unbounded instances. A
device mounted twice (bind mounts) is reported once, and at most MAX_MOUNTS in all.
"""

from __future__ import annotations

from typing import Any

import psutil

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample

MAX_MOUNTS = 16
SKIP_FSTYPES = frozenset(
    {
        "tmpfs",
        "devtmpfs",
        "squashfs",
        "overlay",
        "aufs",
        "iso9660",
        "udf",
        "proc",
        "sysfs",
        "cgroup",
        "cgroup2",
        "devpts",
        "autofs",
        "fuse.snapfuse",
        "ramfs",
        "nsfs",
        "tracefs",
    }
)
SKIP_MOUNT_PREFIXES = ("/snap/", "/var/lib/docker/", "/var/snap/", "/boot/efi")


class DiskProbe(Probe):
    name = "disk"
    description = "Space on each mounted file system that holds data."
    instance = "mount point (`/`, `/home`, `C:\\`)"
    fields = (
        Field("total_bytes", "bytes", "size of the file system", optional=True),
        Field("used_bytes", "bytes", "space in use", optional=True),
        Field("free_bytes", "bytes", "space left for ordinary users"),
        Field("used_percent", "percent", "used / (used + free), as `df` shows it"),
    )

    def __init__(self, ps: Any = psutil) -> None:
        self.ps = ps

    def collect(self) -> list[Sample]:
        samples = []
        for part in self.mounts():
            try:
                usage = self.ps.disk_usage(part.mountpoint)
            except OSError:  # an empty card reader, a vanished USB stick: nothing to report
                continue
            samples.append(
                self.sample(
                    {
                        "total_bytes": usage.total,
                        "used_bytes": usage.used,
                        "free_bytes": usage.free,
                        "used_percent": round(usage.percent, 2),
                    },
                    instance=part.mountpoint,
                )
            )
        return samples

    def mounts(self) -> list[Any]:
        chosen, devices = [], set()
        for part in self.ps.disk_partitions(all=False):
            if (
                part.fstype.lower() in SKIP_FSTYPES
                or not part.fstype
                or part.device.startswith("/dev/loop")
                or "cdrom" in part.opts
                or part.mountpoint.startswith(SKIP_MOUNT_PREFIXES)
                or part.device in devices
                or len(part.mountpoint) > 128
            ):
                continue
            devices.add(part.device)
            chosen.append(part)
            if len(chosen) == MAX_MOUNTS:
                break
        return chosen
