"""Inventory of a Linux machine from sysfs, procfs and /etc/os-release (no extra tools).

Everything is read below ``root`` ("/" on a real machine, a fixture tree in the tests):
SMBIOS from ``/sys/class/dmi/id`` (serial and UUID are readable by root only: the agent's
service runs as root; as a user they are simply absent), CPU from ``/proc/cpuinfo``, installed
memory from the online memory blocks in ``/sys/devices/system/memory`` (what is fitted, not the
smaller total the kernel keeps for itself), disks from ``/sys/block``, MACs of the physical
NICs from ``/sys/class/net/*/address`` (a physical NIC has a ``device`` link).
"""

from __future__ import annotations

import os
import platform
from typing import Any

from schoolnet_agent.inventory.common import (
    Disk,
    Facts,
    add_disks,
    clean,
    iso_date,
    machine_bits,
    normal_mac,
    without_none,
)
from schoolnet_agent.inventory.smart import Smartctl

VIRTUAL_BLOCK_PREFIXES = ("loop", "ram", "zram", "dm-", "md", "sr", "fd", "nbd", "mmcblk0boot")


def read(root: str, *parts: str) -> str | None:
    try:
        with open(os.path.join(root, *parts), encoding="utf-8", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None


def collect(
    root: str = "/",
    smartctl: Smartctl | None = None,
    machine: str | None = None,
    psutil_module: Any = None,
) -> Facts:
    dmi = os.path.join("sys", "class", "dmi", "id")
    serial = clean(read(root, dmi, "product_serial")) or clean(read(root, dmi, "board_serial"))
    inventory: dict[str, Any] = {
        "manufacturer": clean(read(root, dmi, "sys_vendor")),
        "model": clean(read(root, dmi, "product_name")),
        "serial": serial,
        "bios_vendor": clean(read(root, dmi, "bios_vendor")),
        "bios_version": clean(read(root, dmi, "bios_version")),
        "bios_date": iso_date(read(root, dmi, "bios_date")),
    }
    inventory.update(cpu(root))
    inventory.update(os_release(root))
    machine = machine or platform.machine()
    inventory["os_bits"] = machine_bits(machine)
    if inventory.get("cpu_bits") is None:
        inventory["cpu_bits"] = inventory["os_bits"] if inventory["os_bits"] == 64 else None
    inventory["ram_bytes"] = memory_bytes(root, psutil_module)
    add_disks(inventory, disks(root, smartctl or Smartctl()))
    macs = physical_macs(root)
    inventory["macs"] = ",".join(macs) or None
    from schoolnet_agent.inventory.identity import usable_uuid

    return Facts(
        without_none(inventory), usable_uuid(read(root, dmi, "product_uuid")), serial, macs
    )


def cpu(root: str) -> dict[str, Any]:
    text = read(root, "proc", "cpuinfo") or ""
    model = threads = None
    cores: set[tuple[str, str]] = set()
    flags: set[str] = set()
    physical = core = "0"
    threads = 0
    for line in [*text.splitlines(), ""]:
        key, _, value = (part.strip() for part in line.partition(":"))
        if key == "processor":
            threads += 1
        elif key in ("model name", "Model", "Hardware", "cpu model") and model is None:
            model = value
        elif key == "physical id":
            physical = value
        elif key == "core id":
            core = value
        elif key == "flags":
            flags = set(value.split())
        elif not key:  # end of one processor's block
            cores.add((physical, core))
    has_core_ids = "core id" in text
    return without_none(
        {
            "cpu_model": clean(model),
            "cpu_threads": threads or None,
            "cpu_cores": len(cores) if has_core_ids else (threads or None),
            "cpu_bits": 64 if "lm" in flags else (32 if flags else None),
        }
    )


def os_release(root: str) -> dict[str, Any]:
    fields: dict[str, str] = {}
    for line in (read(root, "etc", "os-release") or "").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip().strip('"')
    return without_none(
        {
            "os_name": fields.get("NAME") or "Linux",
            "os_version": fields.get("VERSION_ID") or fields.get("VERSION"),
        }
    )


def memory_bytes(root: str, psutil_module: Any = None) -> int | None:
    base = os.path.join(root, "sys", "devices", "system", "memory")
    block = read(base, "block_size_bytes")
    if block:
        try:
            size = int(block, 16)
            online = sum(
                1
                for name in os.listdir(base)
                if name.startswith("memory") and read(base, name, "online") == "1"
            )
            if online:
                return size * online
        except (OSError, ValueError):
            pass
    if psutil_module is None:
        import psutil as psutil_module
    return int(psutil_module.virtual_memory().total)


def disks(root: str, smartctl: Smartctl) -> list[Disk]:
    base = os.path.join(root, "sys", "block")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    found = []
    for name in names:
        if name.startswith(VIRTUAL_BLOCK_PREFIXES) or read(base, name, "removable") == "1":
            continue
        sectors = read(base, name, "size")
        size = int(sectors) * 512 if sectors and sectors.isdigit() else 0
        if not size:
            continue
        rotational = read(base, name, "queue", "rotational")
        kind = {"0": "ssd", "1": "hdd"}.get(rotational or "", "unknown")
        model = clean(read(base, name, "device", "model"))
        smart = smartctl.info(f"/dev/{name}")
        found.append(Disk(size, smart.type or kind, smart.model or model, smart.health))
    return found


def physical_macs(root: str) -> list[str]:
    base = os.path.join(root, "sys", "class", "net")
    try:
        names = sorted(os.listdir(base))
    except OSError:
        return []
    macs = []
    for name in names:
        if not os.path.exists(os.path.join(base, name, "device")):
            continue  # lo, bridges, veth, tun: not hardware
        mac = normal_mac(read(base, name, "address"))
        if mac and mac not in macs:
            macs.append(mac)
    return macs
