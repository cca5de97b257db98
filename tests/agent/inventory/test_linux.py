"""The Linux reader on sysfs/procfs trees from fixture files: a real old Dell, and a white box
full of placeholders."""

from __future__ import annotations

from schoolnet_agent.inventory import linux
from tests.support.inventory import NO_SMARTCTL, assert_documented, fake_smartctl
from tests.support.paths import FIXTURES


def test_linux_old_dell_from_sysfs():
    calls = []
    facts = linux.collect(
        str(FIXTURES / "sysfs" / "optiplex-380"),
        fake_smartctl({"/dev/sda": "sata_hdd_failing.json"}, calls),
        machine="x86_64",
    )
    assert facts.inventory == {
        "manufacturer": "Dell Inc.",
        "model": "OptiPlex 380",
        "serial": "7GQ2K4J",
        "bios_vendor": "Dell Inc.",
        "bios_version": "A04",
        "bios_date": "2009-11-24",
        "cpu_model": "Intel(R) Core(TM)2 Duo CPU E7500 @ 2.93GHz",
        "cpu_cores": 2,
        "cpu_threads": 2,
        "cpu_bits": 64,
        "os_name": "Ubuntu",
        "os_version": "22.04",
        "os_bits": 64,
        "ram_bytes": 16 * 128 * 2**20,
        "disk_count": 1,
        "disk_total_bytes": 500107862016,
        "smart_failed_count": 1,
        "disk0_size_bytes": 500107862016,
        "disk0_type": "hdd",
        "disk0_model": "WDC WD5000AAKX-00ERMA0",
        "disk0_smart": "failed",
        "macs": "00:24:e8:5a:1b:2c",
    }
    assert calls == ["/dev/sda"], "USB stick, DVD drive and loop devices are not the PC's disks"
    assert facts.smbios_uuid == "4c4c4544-0047-5110-8032-b7c04f4b344a"
    assert facts.serial == "7GQ2K4J" and facts.macs == ["00:24:e8:5a:1b:2c"]
    assert_documented(facts.inventory)


def test_linux_white_box_placeholders_are_unknown_and_disks_typed():
    facts = linux.collect(str(FIXTURES / "sysfs" / "whitebox-clone"), NO_SMARTCTL, machine="i686")
    inv = facts.inventory
    for key in ("manufacturer", "model", "serial"):
        assert key not in inv, f"placeholder {key} must not be reported"
    assert facts.smbios_uuid is None and facts.serial is None
    assert inv["bios_date"] == "2010-05-12" and inv["bios_vendor"] == "American Megatrends Inc."
    assert inv["os_bits"] == 32 and inv["cpu_bits"] == 64, "a 32-bit OS on a 64-bit CPU"
    assert inv["ram_bytes"] == 4 * 2**30
    assert inv["disk_count"] == 2 and inv["disk_total_bytes"] == (976773168 + 468862128) * 512
    assert (inv["disk0_type"], inv["disk0_smart"], inv["disk1_type"]) == ("hdd", "unknown", "ssd")
    assert inv["macs"] == "d0:50:99:aa:bb:01,d0:50:99:aa:bb:02"
