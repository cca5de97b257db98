"""Temperatures and battery, where the OS exposes them.

Dusty, fan-worn lab PCs overheat and shut down mid-lesson; a laptop on a dead battery is a
teacher's lost lesson. Many machines expose neither (Windows has no temperature API in psutil,
desktops have no battery, virtual machines have nothing): then the probe reports nothing,
which is not an error.
"""

from __future__ import annotations

import math
from typing import Any

import psutil

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample

MAX_SENSORS = 32


class SensorsProbe(Probe):
    name = "sensors"
    description = "Hardware temperatures and the battery, when present."
    instance = "`<chip>/<label>` for a temperature (`coretemp/Package id 0`), `battery`"
    fields = (
        Field("temperature_celsius", "celsius", "current temperature"),
        Field("high_celsius", "celsius", "temperature the hardware calls high", optional=True),
        Field(
            "critical_celsius",
            "celsius",
            "temperature at which the hardware shuts down",
            optional=True,
        ),
        Field("battery_percent", "percent", "battery charge"),
        Field("power_plugged", "bool", "on mains power"),
        Field(
            "battery_left_seconds",
            "seconds",
            "estimated time left on battery (when discharging)",
            optional=True,
        ),
    )

    def __init__(self, ps: Any = psutil) -> None:
        self.ps = ps

    def collect(self) -> list[Sample]:
        return self._temperatures()[:MAX_SENSORS] + self._battery()

    def _temperatures(self) -> list[Sample]:
        read = getattr(self.ps, "sensors_temperatures", None)  # absent on Windows and macOS
        samples = []
        for chip, entries in sorted((read() if read else {}).items()):
            for i, t in enumerate(entries):
                samples.append(
                    self.sample(
                        {
                            "temperature_celsius": _finite(t.current),
                            "high_celsius": _finite(t.high),
                            "critical_celsius": _finite(t.critical),
                        },
                        instance=f"{chip}/{t.label or i}"[:128],
                    )
                )
        return samples

    def _battery(self) -> list[Sample]:
        read = getattr(self.ps, "sensors_battery", None)
        battery = read() if read else None
        if battery is None:
            return []
        left = battery.secsleft
        return [
            self.sample(
                {
                    "battery_percent": round(battery.percent, 1),
                    "power_plugged": battery.power_plugged,  # None when the OS cannot tell
                    "battery_left_seconds": left if isinstance(left, int) and left >= 0 else None,
                },
                instance="battery",
            )
        ]


def _finite(value: float | None) -> float | None:
    """Drivers report 0 or None for thresholds they do not know; keep real readings only."""
    if value is None or not math.isfinite(value) or value <= 0:
        return None
    return round(value, 1)
