"""Inventory of a Windows machine from WMI/CIM, read through PowerShell (no extra dependency).

One ``powershell.exe`` run (about a second, once an hour at most) prints every class we need
as one JSON document; ``parse`` turns it into the inventory. Dates are formatted inside the
script (``yyyy-MM-dd``) because ``ConvertTo-Json`` renders a DateTime differently in Windows
PowerShell 5.1 (``/Date(ms)/``) and PowerShell 7 (ISO text); ``parse`` accepts all three.
``@(...)`` keeps one-element lists as lists, and ``parse`` accepts a bare object anyway.

Disk type and health come from ``MSFT_PhysicalDisk`` (Windows 8 / Server 2012 and later:
MediaType 3 HDD, 4 SSD; HealthStatus 0 healthy, 1 warning, 2 unhealthy); on Windows 7 that
class is missing and ``Win32_DiskDrive`` alone gives size and model, type "unknown". Where
smartmontools is installed, ``smartctl`` has the last word on health, as on Linux.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Callable
from typing import Any

from schoolnet_agent.inventory.common import (
    Disk,
    Facts,
    add_disks,
    clean,
    iso_date,
    normal_mac,
    without_none,
)
from schoolnet_agent.inventory.smart import Smartctl

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60.0
USB_BUS_TYPE = 7  # MSFT_PhysicalDisk.BusType
MEDIA_TYPES: dict[int | None, str] = {3: "hdd", 4: "ssd"}
HEALTH: dict[int | None, str] = {
    0: "passed",
    1: "failed",
    2: "failed",
}  # warning = predicted failure: replace it

SCRIPT = r"""
$ErrorActionPreference = 'SilentlyContinue'
function Day($d) { if ($d) { $d.ToString('yyyy-MM-dd') } }
$cs = Get-CimInstance Win32_ComputerSystem
$csp = Get-CimInstance Win32_ComputerSystemProduct
$bios = Get-CimInstance Win32_BIOS
$os = Get-CimInstance Win32_OperatingSystem
[ordered]@{
  ComputerSystem = $cs | Select-Object Manufacturer, Model, TotalPhysicalMemory, SystemType
  Product = $csp | Select-Object UUID, IdentifyingNumber, Vendor, Name
  BIOS = $bios | Select-Object Manufacturer, SMBIOSBIOSVersion, SerialNumber,
    @{n='ReleaseDate'; e={ Day $_.ReleaseDate }}
  Processor = @(Get-CimInstance Win32_Processor |
    Select-Object Name, NumberOfCores, NumberOfLogicalProcessors, AddressWidth, DataWidth)
  OperatingSystem = $os | Select-Object Caption, Version, BuildNumber, OSArchitecture
  PhysicalMemory = @(Get-CimInstance Win32_PhysicalMemory | Select-Object Capacity)
  DiskDrive = @(Get-CimInstance Win32_DiskDrive |
    Select-Object Index, Model, Size, InterfaceType, MediaType, SerialNumber)
  PhysicalDisk = @(Get-CimInstance -Namespace root/Microsoft/Windows/Storage MSFT_PhysicalDisk |
    Select-Object DeviceId, FriendlyName, MediaType, HealthStatus, BusType, Size)
  NetworkAdapter = @(Get-CimInstance Win32_NetworkAdapter -Filter 'PhysicalAdapter=True' |
    Select-Object MACAddress, PNPDeviceID)
} | ConvertTo-Json -Depth 4 -Compress
"""


class WmiError(Exception):
    """PowerShell could not be run or printed no JSON."""


def run_powershell(run: Callable[..., Any] = subprocess.run) -> str:
    try:
        done = run(
            [
                "powershell.exe",
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Bypass",
                "-Command",
                SCRIPT,
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise WmiError(f"powershell.exe failed: {exc}") from None
    if not (done.stdout or "").strip():
        raise WmiError(
            f"powershell.exe printed nothing (exit {done.returncode}): "
            f"{(done.stderr or '').strip()[:200]}"
        )
    out: str = done.stdout
    return out


def arch_bits(text: Any) -> int | None:
    """``OSArchitecture`` is localised ("64-bit", "64 bits", "64 位"): the digits decide."""
    text = str(text or "")
    return 64 if "64" in text else 32 if "32" in text else None


def as_list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse(text: str, smartctl: Smartctl | None = None) -> Facts:
    """The inventory from the script's JSON output."""
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except ValueError as exc:
        raise WmiError(f"PowerShell output is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WmiError("PowerShell output is not a JSON object")
    cs = (as_list(data.get("ComputerSystem")) or [{}])[0]
    product = (as_list(data.get("Product")) or [{}])[0]
    bios = (as_list(data.get("BIOS")) or [{}])[0]
    os_ = (as_list(data.get("OperatingSystem")) or [{}])[0]
    cpus = as_list(data.get("Processor"))
    serial = clean(product.get("IdentifyingNumber")) or clean(bios.get("SerialNumber"))
    inventory: dict[str, Any] = {
        "manufacturer": clean(cs.get("Manufacturer")) or clean(product.get("Vendor")),
        "model": clean(cs.get("Model")) or clean(product.get("Name")),
        "serial": serial,
        "bios_vendor": clean(bios.get("Manufacturer")),
        "bios_version": clean(bios.get("SMBIOSBIOSVersion")),
        "bios_date": iso_date(bios.get("ReleaseDate")),
        "os_name": clean(os_.get("Caption")),
        "os_version": clean(os_.get("Version")),
        "os_bits": arch_bits(os_.get("OSArchitecture")),
    }
    if cpus:
        inventory["cpu_model"] = clean(cpus[0].get("Name"))
        cores = [as_int(c.get("NumberOfCores")) for c in cpus]
        threads = [as_int(c.get("NumberOfLogicalProcessors")) for c in cpus]
        inventory["cpu_cores"] = sum(cores) if all(cores) else None
        inventory["cpu_threads"] = sum(threads) if all(threads) else None
        width = as_int(cpus[0].get("DataWidth"))
        inventory["cpu_bits"] = width if width in (32, 64) else None
    capacities = [as_int(m.get("Capacity")) for m in as_list(data.get("PhysicalMemory"))]
    inventory["ram_bytes"] = (
        sum(capacities) if capacities and all(capacities) else as_int(cs.get("TotalPhysicalMemory"))
    )
    add_disks(inventory, disks(data, smartctl))
    macs = []
    for nic in as_list(data.get("NetworkAdapter")):
        if str(nic.get("PNPDeviceID") or "").upper().startswith(("ROOT\\", "SWD\\")):
            continue  # software adapters that claim to be physical
        mac = normal_mac(nic.get("MACAddress"))
        if mac and mac not in macs:
            macs.append(mac)
    inventory["macs"] = ",".join(macs) or None
    from schoolnet_agent.inventory.identity import usable_uuid

    return Facts(without_none(inventory), usable_uuid(product.get("UUID")), serial, macs)


def disks(data: dict[str, Any], smartctl: Smartctl | None) -> list[Disk]:
    physical = {str(d.get("DeviceId")): d for d in as_list(data.get("PhysicalDisk"))}
    found = []
    for drive in as_list(data.get("DiskDrive")):
        if str(drive.get("InterfaceType") or "").upper() == "USB":
            continue  # USB sticks and external drives are not the PC's
        index = as_int(drive.get("Index"))
        pd = physical.get(str(index), {})
        if as_int(pd.get("BusType")) == USB_BUS_TYPE:
            continue
        size = as_int(drive.get("Size")) or as_int(pd.get("Size"))
        kind = MEDIA_TYPES.get(as_int(pd.get("MediaType")), "unknown")
        health = HEALTH.get(as_int(pd.get("HealthStatus")), "unknown")
        model = clean(drive.get("Model")) or clean(pd.get("FriendlyName"))
        if smartctl is not None and smartctl.available and index is not None:
            smart = smartctl.info(f"/dev/pd{index}")
            health = smart.health if smart.health != "unknown" else health
            kind = smart.type or kind
        found.append(Disk(size, kind, model, health))
    return found


def collect(run: Callable[..., Any] = subprocess.run, smartctl: Smartctl | None = None) -> Facts:
    return parse(run_powershell(run), smartctl if smartctl is not None else Smartctl())
