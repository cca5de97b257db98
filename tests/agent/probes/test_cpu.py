"""The cpu probe fed a fake psutil: shares since the last report, on Linux and Windows."""

from __future__ import annotations

from collections import namedtuple

from schoolnet_agent.probes.cpu import CpuProbe
from tests.support.fake_psutil import fake

LinuxTimes = namedtuple(
    "LinuxTimes", "user nice system idle iowait irq softirq steal guest guest_nice"
)


WinTimes = namedtuple("WinTimes", "user system idle interrupt dpc")


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
