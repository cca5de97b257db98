"""The mem probe fed a fake psutil: memory and swap as the OS counts them, shares rounded."""

from __future__ import annotations

from collections import namedtuple

from schoolnet_agent.probes.mem import MemProbe
from tests.support.fake_psutil import fake

Memory = namedtuple("Memory", "total available used percent")
Swap = namedtuple("Swap", "total used percent")


def test_mem_reports_memory_and_swap_with_rounded_shares():
    probe = MemProbe(
        fake(
            virtual_memory=lambda: Memory(2 * 2**30, 2**29, 3 * 2**29, 75.0444),
            swap_memory=lambda: Swap(2**30, 2**28, 25.0),
        )
    )
    [sample] = probe.collect()
    assert sample.name == "mem" and sample.instance is None
    assert sample.fields == {
        "total_bytes": 2 * 2**30,
        "available_bytes": 2**29,
        "used_bytes": 3 * 2**29,
        "used_percent": 75.04,
        "swap_total_bytes": 2**30,
        "swap_used_bytes": 2**28,
        "swap_used_percent": 25.0,
    }
