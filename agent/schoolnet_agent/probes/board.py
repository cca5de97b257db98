"""Interactive boards: seen from the gateway on the network, or from the PC that drives them.

A networked board (an interactive flat panel with its own Android/Windows module) is the
gateway's sub-device, kind ``board``: present when one of its TCP ports answers (a refused
connection counts: the board's network stack replied), optionally polled over PJLink when the
panel offers it. ``uptime_seconds`` is how long the gateway has seen it present without a
break, which is what "is the board used / left on" needs; the panel itself does not tell.

A board that is only a touch frame on a PC's USB port has no network presence: the PC's own
agent reports it (probe ``board_usb``) by looking for the USB vendor ids of common board and
touch-frame makers in ``/sys/bus/usb/devices``.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import re
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.probes.helpers.pjlink import (
    PORT,
    PJLinkAuthError,
    PJLinkClient,
    PJLinkError,
    PJLinkUnreachable,
    poll,
)
from schoolnet_agent.protocol import Sample
from schoolnet_agent.util.logonce import LogLimiter

log = logging.getLogger(__name__)

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


@dataclass
class BoardSettings:
    """One ``[[boards]]`` entry of the gateway's configuration."""

    id: str
    host: str
    tcp_ports: list[int] = field(default_factory=lambda: [PORT])
    pjlink: bool = False
    pjlink_port: int = PORT
    password: str | None = None
    timeout_seconds: float = 2.0


def tcp_presence(host: str, port: int, timeout: float) -> bool:
    """True when the host's network stack answers on ``port``: accepted or actively refused."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


class BoardProbe(Probe):
    name = "board"
    description = (
        "An interactive board on the school network, checked by the gateway (its "
        "own device, kind `board`)."
    )
    fields = (
        Field("reachable", "bool", "one of the board's `tcp_ports` answered (accepted or refused)"),
        Field(
            "uptime_seconds",
            "seconds",
            "time the gateway has seen the board present without a break (0 when absent)",
        ),
        Field("power_on", "bool", "PJLink power on or warming (boards with `pjlink = true`)"),
        Field("state", "text", "PJLink `on`, `off`, `cooling`, `warming` or `unreachable`"),
        Field("error", "bool", "PJLink reports an error or warning"),
    )

    def __init__(
        self,
        settings: BoardSettings,
        *,
        presence=tcp_presence,
        connect: Callable[..., PJLinkClient] = PJLinkClient,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.settings = settings
        self.presence = presence
        self.connect = connect
        self.clock = clock
        self.reachable = False
        self.inventory: dict[str, Any] | None = None
        self._since: float | None = None
        self._limiter = LogLimiter(log)

    def collect(self) -> list[Sample]:
        s = self.settings
        now = self.clock()
        self.reachable = any(self.presence(s.host, port, s.timeout_seconds) for port in s.tcp_ports)
        values: dict[str, Any] = {"reachable": int(self.reachable)}
        if s.pjlink:
            values.update(self._pjlink())
        if self.reachable:
            if self._since is None:
                self._since = now
        else:
            self._since = None
        values["uptime_seconds"] = round(now - self._since, 1) if self._since is not None else 0
        return [self.sample(values)]

    def _pjlink(self) -> dict[str, Any]:
        s = self.settings
        try:
            with self.connect(s.host, s.pjlink_port, s.password, s.timeout_seconds) as client:
                status = poll(client)
        except PJLinkUnreachable:
            return {"state": "unreachable", "power_on": 0}
        except PJLinkAuthError as exc:
            self._limiter.log(
                f"auth:{s.id}",
                logging.ERROR,
                "board %s: %s; check its password in [[boards]]",
                s.id,
                exc,
            )
            return {}
        except PJLinkError as exc:
            self._limiter.log(f"pjlink:{s.id}", logging.WARNING, "board %s: %s", s.id, exc)
            return {}
        self.inventory = {
            k: v
            for k, v in {
                "manufacturer": status.manufacturer,
                "model": status.model,
                "serial": status.serial,
                "name": status.name,
            }.items()
            if v is not None
        }
        return {
            "state": status.power,
            "power_on": None if status.power is None else int(status.power in ("on", "warming")),
            "error": int(status.failure or any(v > 0 for v in status.errors.values())),
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
