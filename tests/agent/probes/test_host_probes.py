"""Each host probe fed a fake psutil: the filtering and arithmetic, machine-independent."""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace

import pytest

from schoolnet_agent.probes import disk
from schoolnet_agent.probes.cpu import CpuProbe
from schoolnet_agent.probes.disk import DiskProbe
from schoolnet_agent.probes.diskio import DiskIoProbe
from schoolnet_agent.probes.net import NetProbe
from schoolnet_agent.probes.sensors import SensorsProbe
from schoolnet_agent.probes.system import SystemProbe

Part = namedtuple("Part", "device mountpoint fstype opts")
Usage = namedtuple("Usage", "total used free percent")
LinuxTimes = namedtuple(
    "LinuxTimes", "user nice system idle iowait irq softirq steal guest guest_nice"
)
WinTimes = namedtuple("WinTimes", "user system idle interrupt dpc")
Io = namedtuple("Io", "read_count write_count read_bytes write_bytes")
Nic = namedtuple(
    "Nic", "bytes_sent bytes_recv packets_sent packets_recv errin errout dropin dropout"
)
Temp = namedtuple("Temp", "label current high critical")
Battery = namedtuple("Battery", "percent secsleft power_plugged")


def fake(**funcs):
    return SimpleNamespace(**funcs)


def test_cpu_first_report_is_since_boot_then_since_the_last_report():
    ticks = iter(
        [
            LinuxTimes(100, 0, 50, 800, 50, 0, 0, 0, 0, 0),
            LinuxTimes(130, 0, 60, 850, 60, 0, 0, 0, 0, 0),
        ]
    )
    probe = CpuProbe(
        fake(
            cpu_times=lambda: next(ticks),
            getloadavg=lambda: (0.5, 0.25, 0.125),
            cpu_count=lambda: 4,
        )
    )
    first = probe.collect()[0].fields
    assert first["idle_percent"] == 80.0 and first["usage_percent"] == 15.0
    second = probe.collect()[0].fields  # deltas: user 30, system 10, idle 50, iowait 10
    assert second == {
        "user_percent": 30.0,
        "system_percent": 10.0,
        "iowait_percent": 10.0,
        "steal_percent": 0.0,
        "idle_percent": 50.0,
        "usage_percent": 40.0,
        "load1": 0.5,
        "load5": 0.25,
        "load15": 0.12,
        "logical_count": 4,
    }


def test_cpu_on_windows_has_no_iowait_and_counts_interrupts_as_system():
    probe = CpuProbe(
        fake(
            cpu_times=lambda: WinTimes(20, 10, 60, 5, 5),
            getloadavg=lambda: (0.0, 0.0, 0.0),
            cpu_count=lambda: 2,
        )
    )
    f = probe.collect()[0].fields
    assert "iowait_percent" not in f
    assert (f["system_percent"], f["usage_percent"]) == (20.0, 40.0)


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


def test_net_leaves_out_loopback_and_virtual_interfaces():
    nics = {
        n: Nic(1, 2, 3, 4, 0, 0, 5, 0)
        for n in ("lo", "eth0", "veth12ab", "docker0", "Loopback Pseudo-Interface 1", "Ethernet 2")
    }
    stats = {
        "eth0": SimpleNamespace(isup=True, speed=100),
        "Ethernet 2": SimpleNamespace(isup=False, speed=0),
    }
    samples = NetProbe(
        fake(net_io_counters=lambda pernic: nics, net_if_stats=lambda: stats)
    ).collect()
    assert [s.instance for s in samples] == ["Ethernet 2", "eth0"]
    assert (
        samples[1].fields["speed_bps"] == 100_000_000 and samples[1].fields["recv_drops_total"] == 5
    )
    assert "speed_bps" not in samples[0].fields and samples[0].fields["up"] is False


def test_sensors_absent_means_no_sample_not_an_error():
    assert SensorsProbe(fake()).collect() == []
    assert (
        SensorsProbe(fake(sensors_temperatures=dict, sensors_battery=lambda: None)).collect() == []
    )


def test_sensors_report_temperatures_and_battery_with_unknowns_left_out():
    temps = {"coretemp": [Temp("Package id 0", 71.0, 84.0, 100.0), Temp("", 55.5, None, 0.0)]}
    probe = SensorsProbe(
        fake(sensors_temperatures=lambda: temps, sensors_battery=lambda: Battery(42.0, -2, True))
    )  # -2: unlimited
    samples = probe.collect()
    assert [(s.instance, s.fields) for s in samples] == [
        (
            "coretemp/Package id 0",
            {"temperature_celsius": 71.0, "high_celsius": 84.0, "critical_celsius": 100.0},
        ),
        ("coretemp/1", {"temperature_celsius": 55.5}),
        ("battery", {"battery_percent": 42.0, "power_plugged": True}),
    ]
    discharging = SensorsProbe(fake(sensors_battery=lambda: Battery(10.0, 1800, False)))
    assert discharging.collect()[0].fields["battery_left_seconds"] == 1800


@pytest.mark.parametrize("users", [[], ["teacher", "student"]])
def test_system_uptime_and_counts(users):
    probe = SystemProbe(
        fake(boot_time=lambda: 1_700_000_000.0, pids=lambda: [1, 2, 3], users=lambda: users),
        clock=lambda: 1_700_003_600.5,
    )
    assert probe.collect()[0].fields == {
        "uptime_seconds": 3600.5,
        "boot_time_seconds": 1_700_000_000,
        "process_count": 3,
        "users_count": len(users),
    }
