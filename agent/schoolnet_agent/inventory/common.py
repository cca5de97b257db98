"""What the Linux and Windows readers share: the facts they return and how values are cleaned.

SMBIOS strings on the white-box PCs that fill school labs are often the board maker's
placeholders ("To Be Filled By O.E.M.", "Default string"); reporting them would make every
such PC look like the same model with the same serial, so they become "unknown" (key absent).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

PLACEHOLDERS = {
    "",
    "none",
    "n/a",
    "na",
    "not specified",
    "not applicable",
    "not available",
    "unknown",
    "default string",
    "to be filled by o.e.m.",
    "to be filled by oem",
    "system serial number",
    "system manufacturer",
    "system product name",
    "system version",
    "chassis serial number",
    "base board serial number",
    "o.e.m.",
    "oem",
    "empty",
    "invalid",
    "0123456789",
    "123456789",
    "1234567890",
    "serial",
    "sn",
    "xxxxxxxxxx",
}
SAME_CHAR_RE = re.compile(r"^(.)\1*$")
MAX_DISKS = 16


@dataclass
class Facts:
    """One machine's inventory (keys of docs/protocol.md) and the evidence for its identity."""

    inventory: dict[str, Any] = field(default_factory=dict)
    smbios_uuid: str | None = None
    serial: str | None = None
    macs: list[str] = field(default_factory=list)


@dataclass
class Disk:
    size_bytes: int | None
    type: str = "unknown"  # ssd, hdd, unknown
    model: str | None = None
    smart: str = "unknown"  # passed, failed, unknown


def clean(value: Any) -> str | None:
    """A trimmed SMBIOS/WMI string, or None for empty values and known placeholders."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    low = text.lower()
    if low in PLACEHOLDERS or SAME_CHAR_RE.match(low.replace("-", "").replace(" ", "") or "x"):
        return None
    return text[:128]


def iso_date(text: Any) -> str | None:
    """``bios_date`` as YYYY-MM-DD from SMBIOS ``MM/DD/YYYY`` (two-digit years too), WMI
    ``YYYYMMDDhhmmss.ffffff+zzz``, PowerShell 5 ``/Date(ms)/`` or ISO ``YYYY-MM-DD...``."""
    if text is None:
        return None
    s = str(text).strip()
    m = re.fullmatch(r"\\?/Date\((-?\d+)[^)]*\)\\?/", s)
    if m:
        return datetime.fromtimestamp(int(m.group(1)) / 1000, timezone.utc).strftime("%Y-%m-%d")
    for pattern, order in (
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", "mdy"),
        (r"(\d{1,2})/(\d{1,2})/(\d{2})", "mdy"),
        (r"(\d{4})-(\d{2})-(\d{2}).*", "ymd"),
        (r"(\d{4})(\d{2})(\d{2})\d*(\.\d+)?([+-]\d+)?", "ymd"),
    ):
        m = re.fullmatch(pattern, s)
        if not m:
            continue
        a, b, c = (int(g) for g in m.groups()[:3])
        year, month, day = (c, a, b) if order == "mdy" else (a, b, c)
        if year < 100:
            year += 1900 if year >= 80 else 2000
        try:
            return datetime(year, month, day).strftime("%Y-%m-%d")
        except ValueError:
            return None
    return None


def machine_bits(machine: str) -> int | None:
    """32 or 64 from an architecture name (``x86_64``, ``AMD64``, ``i686``, ``armv7l``)."""
    m = machine.lower()
    if m in ("x86_64", "amd64", "x64", "aarch64", "arm64", "ppc64le", "riscv64", "s390x", "64-bit"):
        return 64
    if m in (
        "i386",
        "i486",
        "i586",
        "i686",
        "x86",
        "armv7l",
        "armv6l",
        "arm",
        "mips",
        "mipsel",
        "32-bit",
    ):
        return 32
    return None


def normal_mac(text: str | None) -> str | None:
    """``aa:bb:cc:dd:ee:ff`` lowercase, or None for an empty or all-zero address."""
    if not text:
        return None
    hexes = re.sub(r"[^0-9a-fA-F]", "", text).lower()
    if len(hexes) != 12 or hexes == "0" * 12:
        return None
    return ":".join(hexes[i : i + 2] for i in range(0, 12, 2))


def add_disks(inventory: dict[str, Any], disks: list[Disk]) -> None:
    """The ``disk_*`` and ``disk<N>_*`` keys, largest disk first (the system disk, usually)."""
    disks = sorted(disks, key=lambda d: -(d.size_bytes or 0))[:MAX_DISKS]
    inventory["disk_count"] = len(disks)
    inventory["disk_total_bytes"] = sum(d.size_bytes or 0 for d in disks)
    inventory["smart_failed_count"] = sum(d.smart == "failed" for d in disks)
    for i, d in enumerate(disks):
        inventory[f"disk{i}_size_bytes"] = d.size_bytes
        inventory[f"disk{i}_type"] = d.type
        inventory[f"disk{i}_model"] = d.model
        inventory[f"disk{i}_smart"] = d.smart


def without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
