"""This machine's inventory: a valid, documented report here, and the platform's reader chosen
(PowerShell on Windows)."""

from __future__ import annotations

import re
import subprocess

import pytest

from schoolnet_agent.inventory.machine import UnsupportedPlatform, collect_facts, machine_inventory
from schoolnet_agent.inventory.publisher import build_inventory_report
from schoolnet_agent.protocol import validate
from tests.support.inventory import NO_SMARTCTL, assert_documented, fixture
from tests.support.paths import FIXTURES


def test_this_machine_gives_a_valid_inventory_report(tmp_path):
    inventory = machine_inventory(str(tmp_path), collect_facts())
    assert re.fullmatch(r"[0-9a-f]{32}", inventory["machine_id"])
    assert inventory["os_name"] and inventory["ram_bytes"] > 0 and inventory["cpu_threads"] >= 1
    assert_documented(inventory)
    report = build_inventory_report("lc-test-01", "pc-01", "lab_pc", 3, inventory)
    assert validate(report) is report


def test_platform_dispatch_runs_powershell_on_windows():
    seen = []

    def powershell(argv, **kw):
        seen.append(argv)
        return subprocess.CompletedProcess(argv, 0, fixture("wmi", "win10_lab_pc.json"), "")

    facts = collect_facts("Windows", run=powershell, smartctl=NO_SMARTCTL)
    assert facts.inventory["model"] == "OptiPlex 3020"
    assert seen[0][0] == "powershell.exe" and "Get-CimInstance Win32_BIOS" in seen[0][-1]
    for cls in (
        "Win32_ComputerSystem",
        "Win32_Processor",
        "Win32_DiskDrive",
        "MSFT_PhysicalDisk",
        "Win32_OperatingSystem",
        "ConvertTo-Json",
    ):
        assert cls in seen[0][-1]
    linux_facts = collect_facts(
        "Linux",
        root=str(FIXTURES / "sysfs" / "optiplex-380"),
        smartctl=NO_SMARTCTL,
        machine="x86_64",
    )
    assert linux_facts.inventory["model"] == "OptiPlex 380"
    with pytest.raises(UnsupportedPlatform, match="Darwin"):
        collect_facts("Darwin")
