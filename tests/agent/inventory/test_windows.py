"""The Windows reader on recorded WMI JSON (Windows 7, 10, 11), smartctl where installed, and
its failures said clearly."""

from __future__ import annotations

import subprocess

import pytest

from schoolnet_agent.inventory import windows
from tests.support.inventory import NO_SMARTCTL, assert_documented, fake_smartctl, fixture


def test_windows_10_lab_pc():
    facts = windows.parse(fixture("wmi", "win10_lab_pc.json"), NO_SMARTCTL)
    assert facts.inventory == {
        "manufacturer": "Dell Inc.",
        "model": "OptiPlex 3020",
        "serial": "4B6RNK2",
        "bios_vendor": "Dell Inc.",
        "bios_version": "A18",
        "bios_date": "2014-07-08",
        "os_name": "Microsoft Windows 10 Pro",
        "os_version": "10.0.19045",
        "os_bits": 64,
        "cpu_model": "Intel(R) Core(TM) i3-4160 CPU @ 3.60GHz",
        "cpu_cores": 2,
        "cpu_threads": 4,
        "cpu_bits": 64,
        "ram_bytes": 8 * 2**30,
        "disk_count": 1,
        "disk_total_bytes": 500105249280,
        "smart_failed_count": 0,
        "disk0_size_bytes": 500105249280,
        "disk0_type": "hdd",
        "disk0_model": "ST500DM002-1BD142",
        "disk0_smart": "passed",
        "macs": "b8:ca:3a:12:34:56",
    }
    assert facts.smbios_uuid == "4c4c4544-0042-3610-8052-b4c04f4e4b32"
    assert_documented(facts.inventory)


def test_windows_7_powershell_5_shapes_and_placeholders():
    facts = windows.parse(fixture("wmi", "win7_32bit_whitebox.json"), NO_SMARTCTL)
    inv = facts.inventory
    assert "manufacturer" not in inv and "serial" not in inv and facts.smbios_uuid is None
    assert inv["bios_date"] == "2009-05-01", "PowerShell 5 writes dates as /Date(ms)/"
    assert (inv["os_bits"], inv["cpu_bits"]) == (32, 64)
    assert inv["cpu_model"] == "Pentium(R) Dual-Core CPU E5200 @ 2.50GHz"
    assert inv["ram_bytes"] == 2 * 2**30 and inv["disk_count"] == 1
    assert inv["disk0_type"] == "unknown" and inv["disk0_smart"] == "unknown", (
        "no MSFT_PhysicalDisk on Windows 7"
    )
    assert inv["macs"] == "00:1f:c6:ab:cd:ef"


def test_windows_11_localised_and_a_warning_disk_counts_as_failed():
    facts = windows.parse(fixture("wmi", "win11_ssd_warning.json"), NO_SMARTCTL)
    inv = facts.inventory
    assert inv["os_bits"] == 64 and inv["bios_date"] == "2022-03-15"
    assert (inv["disk0_type"], inv["disk0_smart"]) == ("hdd", "failed")
    assert (inv["disk1_type"], inv["disk1_smart"]) == ("ssd", "passed")
    assert inv["smart_failed_count"] == 1 and inv["cpu_threads"] == 12


def test_windows_smartctl_has_the_last_word_when_installed():
    facts = windows.parse(
        fixture("wmi", "win10_lab_pc.json"), fake_smartctl({"/dev/pd0": "sata_hdd_failing.json"})
    )
    assert facts.inventory["disk0_smart"] == "failed"


def test_windows_failures_are_clear():
    def silent(argv, **kw):
        return subprocess.CompletedProcess(argv, 1, "", "Get-CimInstance : Access denied")

    with pytest.raises(windows.WmiError, match=r"printed nothing.*Access denied"):
        windows.collect(run=silent, smartctl=NO_SMARTCTL)

    def missing(argv, **kw):
        raise FileNotFoundError(2, "No such file", "powershell.exe")

    with pytest.raises(windows.WmiError, match=r"powershell.exe failed"):
        windows.collect(run=missing, smartctl=NO_SMARTCTL)
    with pytest.raises(windows.WmiError, match="not JSON"):
        windows.parse("WARNING: something")
