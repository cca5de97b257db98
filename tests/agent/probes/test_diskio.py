"""The diskio probe fed a fake psutil: physical disks only, counters as they are."""

from __future__ import annotations

from collections import namedtuple

from schoolnet_agent.probes.diskio import DiskIoProbe
from tests.support.fake_psutil import fake

Io = namedtuple("Io", "read_count write_count read_bytes write_bytes")


def test_diskio_keeps_physical_disks_only(tmp_path):
    for name in ("sda", "nvme0n1", "loop0", "dm-0", "zram0"):
        (tmp_path / name).mkdir()
    for name in ("sda", "nvme0n1"):
        (tmp_path / name / "device").mkdir()
    counters = {
        n: Io(1, 2, 512, 1024) for n in ("sda", "sda1", "nvme0n1", "loop0", "dm-0", "zram0")
    }
    probe = DiskIoProbe(fake(disk_io_counters=lambda perdisk: counters), sys_block=str(tmp_path))
    samples = probe.collect()
    assert [s.instance for s in samples] == ["nvme0n1", "sda"]
    assert samples[1].fields == {
        "read_bytes_total": 512,
        "write_bytes_total": 1024,
        "read_ops_total": 1,
        "write_ops_total": 2,
    }


def test_diskio_without_sysfs_trusts_psutil(tmp_path):
    probe = DiskIoProbe(
        fake(disk_io_counters=lambda perdisk: {"PhysicalDrive0": Io(1, 1, 1, 1)}),
        sys_block=str(tmp_path / "absent"),
    )
    assert [s.instance for s in probe.collect()] == ["PhysicalDrive0"]
