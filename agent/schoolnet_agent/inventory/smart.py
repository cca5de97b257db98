"""Disk health from smartmontools: ``smartctl --json -H -i <device>``, where it is installed.

The overall SMART health (``smart_status.passed``) is what a planner can act on: a failing
disk in a lab PC is a cheap replacement before it is a lost PC. smartctl is optional: where it
is missing, not allowed to open the disk (not root) or the disk does not support SMART (many
USB bridges), the disk's health is "unknown", never an error of the agent.

smartctl's exit status is a bit mask (bit 3: "disk failing"), and with ``--json`` it prints
the JSON whatever the status, so the JSON is what is read.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class SmartInfo:
    health: str = "unknown"  # passed, failed, unknown
    type: str | None = None  # ssd, hdd (None: smartctl did not say)
    model: str | None = None
    size_bytes: int | None = None


def parse_smartctl(text: str) -> SmartInfo:
    """The parts of ``smartctl --json -H -i`` output the inventory uses."""
    try:
        data = json.loads(text)
    except ValueError:
        return SmartInfo()
    if not isinstance(data, dict):
        return SmartInfo()
    status = data.get("smart_status")
    health = "unknown"
    if isinstance(status, dict) and isinstance(status.get("passed"), bool):
        health = "passed" if status["passed"] else "failed"
    rotation = data.get("rotation_rate")
    device_type = str((data.get("device") or {}).get("type", "")).lower()
    if isinstance(rotation, int) and not isinstance(rotation, bool):
        kind = "ssd" if rotation == 0 else "hdd"
    elif device_type == "nvme":
        kind = "ssd"
    else:
        kind = None
    capacity = data.get("user_capacity")
    size = capacity.get("bytes") if isinstance(capacity, dict) else None
    if device_type == "nvme" and size is None:
        size = data.get("nvme_total_capacity")
    model = data.get("model_name")
    return SmartInfo(
        health,
        kind,
        model.strip()[:128] if isinstance(model, str) and model.strip() else None,
        size if isinstance(size, int) and size > 0 else None,
    )


class Smartctl:
    """Runs smartctl when it is installed; ``run`` is injectable for tests."""

    def __init__(
        self,
        run: Callable[..., Any] = subprocess.run,
        which: Callable[[str], str | None] = shutil.which,
    ):
        self.path = which("smartctl")
        self.run = run

    @property
    def available(self) -> bool:
        return self.path is not None

    def info(self, device: str) -> SmartInfo:
        if self.path is None:
            return SmartInfo()
        try:
            done = self.run(
                [self.path, "--json", "-H", "-i", device],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            log.info("smartctl on %s failed: %s; disk health unknown", device, exc)
            return SmartInfo()
        return parse_smartctl(done.stdout or "")
