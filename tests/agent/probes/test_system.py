"""The system probe fed a fake psutil and clock: uptime, boot time and counts."""

from __future__ import annotations

import pytest

from schoolnet_agent.probes.system import SystemProbe
from tests.support.fake_psutil import fake


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
