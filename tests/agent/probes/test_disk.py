"""The disk probe fed a fake psutil: real file systems once each, bounded."""

from __future__ import annotations

from collections import namedtuple

from schoolnet_agent.probes import disk
from schoolnet_agent.probes.disk import DiskProbe
from tests.support.fake_psutil import fake

Part = namedtuple("Part", "device mountpoint fstype opts")


Usage = namedtuple("Usage", "total used free percent")


def test_disk_reports_real_mounts_once_each_and_skips_the_rest():
    parts = [
        Part("/dev/sda1", "/", "ext4", "rw"),
        Part("/dev/sda1", "/srv/bind", "ext4", "rw"),  # same device again
        Part("/dev/loop3", "/snap/core/1", "squashfs", "ro"),
        Part("tmpfs", "/run", "tmpfs", "rw"),
        Part("/dev/sr0", "/media/cd", "iso9660", "ro"),
        Part("/dev/sdb1", "/media/usb", "vfat", "rw"),  # unplugged meanwhile
        Part("D:\\", "D:\\", "", "cdrom"),
        Part("/dev/sda2", "/home", "ext4", "rw"),
    ]

    def usage(path):
        if path == "/media/usb":
            raise OSError("No such device")
        return Usage(100, 60, 40, 60.0)

    samples = DiskProbe(fake(disk_partitions=lambda all: parts, disk_usage=usage)).collect()
    assert [s.instance for s in samples] == ["/", "/home"]
    assert samples[0].fields == {
        "total_bytes": 100,
        "used_bytes": 60,
        "free_bytes": 40,
        "used_percent": 60.0,
    }


def test_disk_instances_are_bounded():
    parts = [Part(f"/dev/sd{i}", f"/data{i}", "xfs", "rw") for i in range(40)]
    probe = DiskProbe(
        fake(disk_partitions=lambda all: parts, disk_usage=lambda p: Usage(1, 1, 0, 100.0))
    )
    assert len(probe.collect()) == disk.MAX_MOUNTS
