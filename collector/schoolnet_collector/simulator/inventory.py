"""The retained ``inventory`` report of a simulated computer, as the agent's inventory probe
sends it (keys: docs/protocol.md, "Inventory"). Published once when the school first connects.

Values agree with the PC's readings (RAM, disk size, cores) and follow its age: pre-2010 lab
PCs have 1-2 GiB of RAM and a hard disk, some can run only 32-bit software, and a few old disks
fail their SMART check. The BIOS date is in the device's purchase year, so the planners' age
of a PC from its BIOS agrees with the purchase year in the equipment file.
"""

from __future__ import annotations

import hashlib

from schoolnet_collector.simulator.model import Device
from schoolnet_collector.simulator.pc_readings import PcReadings
from schoolnet_collector.simulator.variation import pick, stable_unit

OLD_MODELS = (
    ("Dell Inc.", "OptiPlex 380"),
    ("Hewlett-Packard", "Compaq dx2810 MT"),
    ("LENOVO", "ThinkCentre M58"),
    ("CMS", "X-Media 2008"),
)
NEW_MODELS = (
    ("Dell Inc.", "OptiPlex 3050"),
    ("HP", "ProDesk 400 G4 MT"),
    ("LENOVO", "ThinkCentre M710s"),
    ("FPT Elead", "Elead T4x"),
    ("CMS", "X-Media Pro"),
)
CPUS_32 = ("Intel(R) Pentium(R) 4 CPU 2.80GHz", "Intel(R) Celeron(R) CPU 2.40GHz")
CPUS_OLD = ("Intel(R) Core(TM)2 Duo CPU E7500 @ 2.93GHz", "Intel(R) Pentium(R) Dual CPU E2180")
CPUS_NEW = ("Intel(R) Core(TM) i3-7100 CPU @ 3.90GHz", "Intel(R) Pentium(R) CPU G4560")
SHARE_32_BIT_BEFORE_2008 = 0.5  # Pentium 4 / Celeron machines that cannot run 64-bit software
SMART_FAILED_SHARE = {True: 0.08, False: 0.01}  # old, newer


def pc_inventory(seed: int, school: str, device: Device, readings: PcReadings) -> dict[str, object]:
    def unit(tag: str) -> float:
        return stable_unit(seed, school, device.id, "inv", tag)

    old = device.old
    cpu_bits = 32 if device.year < 2008 and unit("bits") < SHARE_32_BIT_BEFORE_2008 else 64
    manufacturer, model = pick(unit("model"), OLD_MODELS if old else NEW_MODELS)
    cpu = pick(unit("cpu"), CPUS_32 if cpu_bits == 32 else CPUS_OLD if old else CPUS_NEW)
    disk_type = "hdd" if device.year < 2014 or unit("ssd") < 0.5 else "ssd"
    smart = "failed" if unit("smart") < SMART_FAILED_SHARE[old] else "passed"
    digest = hashlib.blake2b(f"{seed}/{school}/{device.id}".encode(), digest_size=16).hexdigest()
    mac = ":".join(["00", "1a"] + [digest[i : i + 2] for i in range(0, 8, 2)])
    return {
        "machine_id": digest,
        "manufacturer": manufacturer,
        "model": model,
        "serial": digest[:10].upper(),
        "bios_vendor": "American Megatrends Inc.",
        "bios_version": f"{int(unit('bv') * 9) + 1}.0",
        "bios_date": f"{device.year}-{1 + int(unit('month') * 12):02d}-"
        f"{1 + int(unit('day') * 28):02d}",
        "cpu_model": cpu,
        "cpu_cores": readings.cores,
        "cpu_threads": readings.cores,
        "cpu_bits": cpu_bits,
        "os_name": "Windows" if readings.windows else "Linux",
        "os_version": ("7" if old else "10") if readings.windows else "Ubuntu 18.04",
        "os_bits": 32 if cpu_bits == 32 or (old and unit("os32") < 0.5) else 64,
        "ram_bytes": readings.mem_total,
        "disk_count": 1,
        "disk_total_bytes": readings.disk_total,
        "disk0_size_bytes": readings.disk_total,
        "disk0_type": disk_type,
        "disk0_model": "WDC WD1600AAJS" if disk_type == "hdd" else "KINGSTON SA400S37",
        "disk0_smart": smart,
        "smart_failed_count": int(smart == "failed"),
        "macs": mac,
    }
