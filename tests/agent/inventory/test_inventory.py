"""Hardware inventory: Linux sysfs trees, smartctl JSON and WMI JSON from fixture files, the
platform dispatch, and the publisher's once-at-start-then-on-change rule."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from schoolnet_agent.inventory import linux, windows
from schoolnet_agent.inventory.common import clean, iso_date, machine_bits, normal_mac
from schoolnet_agent.inventory.machine import UnsupportedPlatform, collect_facts, machine_inventory
from schoolnet_agent.inventory.publisher import InventoryPublisher, build_inventory_report
from schoolnet_agent.inventory.smart import Smartctl, parse_smartctl
from schoolnet_agent.protocol import INVENTORY, decode, validate
from tests.support.paths import FIXTURES, ROOT as ROOT_DIR

PROTOCOL = ROOT_DIR / "docs" / "protocol.md"


def fixture(kind: str, name: str) -> str:
    return (FIXTURES / kind / name).read_text()


def fake_smartctl(by_device: dict[str, str], calls: list | None = None) -> Smartctl:
    """smartctl answering from fixture files, as the real one does with --json."""

    def run(argv, **kw):
        assert argv[1:4] == ["--json", "-H", "-i"] and kw["timeout"] > 0
        if calls is not None:
            calls.append(argv[-1])
        name = by_device.get(argv[-1], "usb_bridge_unsupported.json")
        text = fixture("smartctl", name)
        return subprocess.CompletedProcess(
            argv, json.loads(text)["smartctl"]["exit_status"], text, ""
        )

    return Smartctl(run=run, which=lambda name: "/usr/sbin/smartctl")


NO_SMARTCTL = Smartctl(which=lambda name: None)


def protocol_inventory_keys() -> set[str]:
    """The inventory keys of docs/protocol.md's table (``disk<N>_*`` as a pattern)."""
    text = PROTOCOL.read_text().split("**Inventory**", 1)[1]
    keys = set()
    for row in text.splitlines():
        if row.startswith("| `"):
            keys.update(re.findall(r"`([a-z0-9_<N>]+)`", row.split("|")[1]))
    return keys


def assert_documented(inventory: dict) -> None:
    documented = protocol_inventory_keys()
    for key in inventory:
        assert key in documented or re.sub(r"^disk\d+_", "disk<N>_", key) in documented, key


# -- smartctl ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, health, kind, size",
    [
        ("sata_ssd_passed.json", "passed", "ssd", 240057409536),
        ("sata_hdd_failing.json", "failed", "hdd", 500107862016),
        ("nvme_passed.json", "passed", "ssd", 500107862016),
        ("usb_bridge_unsupported.json", "unknown", None, None),
        ("permission_denied.json", "unknown", None, None),
    ],
)
def test_smartctl_json(name, health, kind, size):
    info = parse_smartctl(fixture("smartctl", name))
    assert (info.health, info.type, info.size_bytes) == (health, kind, size)


def test_smartctl_garbage_and_absence_are_unknown():
    assert parse_smartctl("Segmentation fault").health == "unknown"
    assert parse_smartctl("[1, 2]").health == "unknown"
    assert not NO_SMARTCTL.available and NO_SMARTCTL.info("/dev/sda").health == "unknown"

    def broken(argv, **kw):
        raise subprocess.TimeoutExpired(argv, kw["timeout"])

    assert Smartctl(run=broken, which=lambda n: "/x/smartctl").info("/dev/sda").health == "unknown"


# -- Linux ---------------------------------------------------------------------------------


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


def test_this_machine_gives_a_valid_inventory_report(tmp_path):
    inventory = machine_inventory(str(tmp_path), collect_facts())
    assert re.fullmatch(r"[0-9a-f]{32}", inventory["machine_id"])
    assert inventory["os_name"] and inventory["ram_bytes"] > 0 and inventory["cpu_threads"] >= 1
    assert_documented(inventory)
    report = build_inventory_report("lc-test-01", "pc-01", "lab_pc", 3, inventory)
    assert validate(report) is report


# -- Windows -------------------------------------------------------------------------------


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


# -- value cleaning ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("11/24/2009", "2009-11-24"),
        ("05/12/10", "2010-05-12"),
        ("2014-07-08", "2014-07-08"),
        ("20140708000000.000000+000", "2014-07-08"),
        ("/Date(1241136000000)/", "2009-05-01"),
        ("2022-03-15T07:00:00+07:00", "2022-03-15"),
        ("13/45/2009", None),
        ("soon", None),
        (None, None),
    ],
)
def test_bios_dates(text, expected):
    assert iso_date(text) == expected


def test_placeholders_macs_and_bits():
    for junk in (
        "To Be Filled By O.E.M.",
        "Default string",
        "  ",
        "0000000000",
        "None",
        "System Serial Number",
        "XXXXXXXX",
    ):
        assert clean(junk) is None, junk
    assert clean("  Dell   Inc. ") == "Dell Inc."
    assert normal_mac("B8-CA-3A-12-34-56") == "b8:ca:3a:12:34:56"
    assert normal_mac("00:00:00:00:00:00") is None and normal_mac("zz") is None
    assert (machine_bits("AMD64"), machine_bits("armv7l"), machine_bits("sparc")) == (64, 32, None)


# -- publishing ----------------------------------------------------------------------------


def test_publisher_sends_at_start_then_only_on_change():
    clock = [0.0]
    inventory = {"machine_id": "a" * 32, "ram_bytes": 2 * 2**30}
    sent, seq = [], iter(range(10, 100))
    publisher = InventoryPublisher(
        "lc-test-01",
        "pc-01",
        "lab_pc",
        lambda: next(seq),
        lambda out: sent.append(out) or True,
        lambda: dict(inventory),
        clock=lambda: clock[0],
        check_every=3600,
    )
    assert publisher.tick() and len(sent) == 1
    for t in (60, 1800, 3700):  # not due, not due, due but unchanged
        clock[0] = t
        assert not publisher.tick()
    inventory["ram_bytes"] = 4 * 2**30  # a RAM upgrade
    clock[0] = 7400
    assert publisher.tick() and len(sent) == 2
    out = sent[-1]
    assert out.channel == INVENTORY and out.retain and out.device is None
    report = decode(out.payload)
    assert report["inventory"]["ram_bytes"] == 4 * 2**30 and report["seq"] == 11


def test_publisher_retries_after_a_failed_collection_or_send(caplog):
    clock = [0.0]
    results = [RuntimeError("WMI busy"), {"machine_id": "b" * 32}, {"machine_id": "b" * 32}]

    def collect():
        r = results.pop(0)
        if isinstance(r, Exception):
            raise r
        return r

    handed = [False, True]
    publisher = InventoryPublisher(
        "lc-test-01",
        "pc-01",
        "lab_pc",
        lambda: 1,
        lambda out: handed.pop(0),
        collect,
        clock=lambda: clock[0],
        check_every=100,
    )
    assert not publisher.tick() and "WMI busy" in caplog.text
    clock[0] = 100
    assert not publisher.tick(), "not handed over"
    clock[0] = 200
    assert publisher.tick(), "same inventory, but never sent: sent now"


# -- Windows raw sockets (the gateway probes' ARP/ICMP) ------------------------------------


def test_windows_raw_sockets_need_npcap_and_say_so(tmp_path):
    from schoolnet_agent.probes.helpers.rawsocket_windows import FIX, windows_raw_socket_problem

    problem = windows_raw_socket_problem(str(tmp_path), admin=lambda: True)
    assert problem.startswith("Npcap is not installed") and "wpcap.dll" in problem
    dll = tmp_path / "System32" / "Npcap" / "wpcap.dll"
    dll.parent.mkdir(parents=True)
    dll.write_bytes(b"MZ")
    assert "administrator" in windows_raw_socket_problem(str(tmp_path), admin=lambda: False)
    assert windows_raw_socket_problem(str(tmp_path), admin=lambda: True) is None
    assert "Npcap" in FIX and "LocalSystem" in FIX


def test_the_raw_socket_refusal_names_the_fix_of_its_platform():
    from schoolnet_agent.probes.helpers.rawsocket import missing_message

    windows = missing_message(windows=True).format(reason="Npcap is not installed")
    assert "Npcap is not installed" in windows and "https://npcap.com" in windows
    assert "CAP_NET_RAW" not in windows
    assert "CAP_NET_RAW" in missing_message(windows=False)


# -- the running agent ---------------------------------------------------------------------


def test_the_running_agent_publishes_its_inventory_retained_at_each_start(mosquitto, tmp_path):
    import signal

    from tests.support.agent_process import TOPIC, start_agent, write_config
    from tests.support.mqtt import Subscriber, clear_retained

    config = write_config(tmp_path, mosquitto.port, interval=1)
    ids = []
    try:
        for run in range(2):
            sub = Subscriber(mosquitto.port, topic=TOPIC + "inventory")
            proc = start_agent(config, tmp_path / "agent.log")
            try:
                msg = sub.wait_for(TOPIC + "inventory", timeout=20)
                if run == 1:  # first the retained one of the last run, then this start's own
                    assert msg.retain
                    msg = sub.wait_for(TOPIC + "inventory", timeout=20)
                assert not msg.retain, "live delivery; the broker keeps it retained"
                report = decode(msg.payload)
                ids.append(report["inventory"]["machine_id"])
                assert report["device"] == "pc-02" and report["inventory"]["ram_bytes"] > 0
                with pytest.raises(AssertionError):  # unchanged: not sent again every interval
                    sub.wait_for(TOPIC + "inventory", timeout=2.5)
            finally:
                proc.send_signal(signal.SIGTERM)
                proc.wait(20)
                sub.close()
    finally:
        clear_retained(mosquitto.port, TOPIC + "inventory", TOPIC + "availability")
    assert ids[0] == ids[1], "the same machine keeps its machine_id across restarts"
    assert (tmp_path / "state" / "identity.json").exists()
