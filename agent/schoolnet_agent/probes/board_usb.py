"""Interactive boards and touch frames on this PC's USB ports, seen by the PC's own agent.

A board that is only a touch frame on a PC's USB port has no network presence (a networked
board is the gateway's sub-device: ``board.py``), so the PC that drives it reports it, by the
USB vendor ids of common board and touch-frame makers: ``/sys/bus/usb/devices`` on Linux,
``Win32_PnPEntity`` through PowerShell on Windows (at most every 15 minutes: it costs about a
second of CPU on an old PC).
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import time
from collections.abc import Callable
from typing import Any

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample

# USB vendor ids (lowercase hex, as in sysfs ``idVendor``) of makers of interactive boards and
# the touch frames fitted to boards and panels sold to schools. Extend when a school's board is
# not recognised: ``cat /sys/bus/usb/devices/*/idVendor`` on its PC shows the id.
BOARD_USB_VENDORS: dict[str, str] = {
    "0b8c": "SMART Technologies",
    "6615": "IRTOUCH Systems",  # infrared frames of many Chinese-made boards and panels
    "0eef": "eGalax (D-WAV)",
    "222a": "ILITEK",
    "04e7": "Elo Touch",
}


class UsbBoardProbe(Probe):
    name = "board_usb"
    description = (
        "Interactive boards and touch frames on this PC's USB ports, recognised by the "
        "maker's USB vendor id (Linux: `/sys/bus/usb/devices`; Windows: "
        "`Win32_PnPEntity`, read at most every 15 minutes)."
    )
    fields = (
        Field("present", "bool", "a known board or touch frame is plugged in"),
        Field("devices_count", "count", "such USB devices"),
        Field("vendor", "text", "maker of the first one found"),
    )

    def __init__(
        self,
        root: str = "/sys/bus/usb/devices",
        vendors: dict[str, str] = BOARD_USB_VENDORS,
        system: str | None = None,
        run: Callable[..., Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
        windows_every: float = 900.0,
    ):
        self.root = root
        self.vendors = vendors
        self.system = system or platform.system()
        self.run = run or subprocess.run
        self.clock = clock
        self.windows_every = windows_every
        self._cached: tuple[float, list[str]] | None = None

    def collect(self) -> list[Sample]:
        if self.system == "Windows":
            ids = self._windows_ids()
        elif os.path.isdir(self.root):
            ids = usb_vendor_ids(self.root)
        else:
            return []  # no USB, or a system we cannot read: nothing to say
        found = sorted(self.vendors[v] for v in ids if v in self.vendors)
        return [
            self.sample(
                {
                    "present": int(bool(found)),
                    "devices_count": len(found),
                    "vendor": found[0] if found else None,
                }
            )
        ]

    def _windows_ids(self) -> list[str]:
        """PowerShell costs about a second of CPU on an old PC: asked every 15 minutes only."""
        now = self.clock()
        if self._cached is not None and now - self._cached[0] < self.windows_every:
            return self._cached[1]
        done = self.run(
            ["powershell.exe", "-NoProfile", "-NonInteractive", "-Command", PNP_SCRIPT],
            capture_output=True,
            text=True,
            timeout=60,
        )
        ids = pnp_vendor_ids(done.stdout or "")
        self._cached = (now, ids)
        return ids


# Device ids of USB devices (not their interfaces, ``&MI_nn``), as JSON.
PNP_SCRIPT = (
    "@(Get-CimInstance Win32_PnPEntity | Where-Object { $_.DeviceID -like 'USB\\VID_*' "
    "-and $_.DeviceID -notlike '*&MI_*' } | ForEach-Object { $_.DeviceID }) "
    "| ConvertTo-Json -Compress"
)


def pnp_vendor_ids(text: str) -> list[str]:
    """Vendor ids from ``USB\\VID_0B8C&PID_0001\\...`` device ids (a JSON list or one string)."""
    try:
        data = json.loads(text.lstrip("\ufeff")) if text.strip() else []
    except ValueError:
        raise RuntimeError(f"Win32_PnPEntity query gave no JSON: {text[:80]!r}") from None
    items = data if isinstance(data, list) else [data]
    ids = []
    for item in items:
        m = re.match(r"USB\\VID_([0-9A-Fa-f]{4})", str(item))
        if m and "&MI_" not in str(item).upper():
            ids.append(m.group(1).lower())
    return ids


def usb_vendor_ids(root: str) -> list[str]:
    """``idVendor`` of every USB device (not interface) under ``root``."""
    ids = []
    for entry in sorted(os.listdir(root)):
        try:
            with open(os.path.join(root, entry, "idVendor"), encoding="ascii") as f:
                ids.append(f.read().strip().lower())
        except (OSError, UnicodeDecodeError):
            continue  # interfaces (1-1:1.0) have no idVendor
    return ids
