"""Uplink classification and the uplink probe, from /proc/net/route and /sys/class/net on a
tree built per test, with ModemManager's answers from recorded ``mmcli`` output (fixtures/mmcli).

The tree mirrors what Linux shows for each kind of uplink (symlinked ``device/driver``, USB
``idVendor`` one level above the interface's ``device``), so no modem is needed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from schoolnet_agent.probes.helpers.modem import ModemReader
from schoolnet_agent.probes.helpers.rawsocket import RawSocketAccess
from schoolnet_agent.probes.helpers.uplink_classify import classify_uplink, default_routes
from schoolnet_agent.probes.uplink import UplinkProbe
from schoolnet_agent.settings.gateway import GatewaySettings, UplinkLine
from tests.support.paths import FIXTURES

HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def route_line(iface, dest="00000000", gw="0101A8C0", flags="0003", metric=0, mask="00000000"):
    return f"{iface}\t{dest}\t{gw}\t{flags}\t0\t0\t{metric}\t{mask}\t0\t0\t0\n"


def make_tree(root, routes, interfaces):
    """``interfaces``: name → dict(driver=, vendor=, type=, operstate=)."""
    (root / "proc/net").mkdir(parents=True)
    (root / "proc/net/route").write_text(HEADER + "".join(routes))
    for name, spec in interfaces.items():
        net = root / "sys/class/net" / name
        net.mkdir(parents=True)
        (net / "type").write_text(f"{spec.get('type', 1)}\n")
        (net / "operstate").write_text(f"{spec.get('operstate', 'up')}\n")
        if "driver" in spec or "vendor" in spec:
            usb_dev = root / "sys/devices/usb1" / f"1-1-{name}"
            usb_if = usb_dev / "1-1:1.0"
            usb_if.mkdir(parents=True)
            if "vendor" in spec:
                (usb_dev / "idVendor").write_text(spec["vendor"] + "\n")
            if "driver" in spec:
                drv = root / "sys/bus/usb/drivers" / spec["driver"]
                drv.mkdir(parents=True, exist_ok=True)
                os.symlink(drv, usb_if / "driver")
            os.symlink(usb_if, net / "device")
    return str(root)


@pytest.mark.parametrize(
    "iface,spec,kind,reason",
    [
        ("eth0", {"driver": "r8169"}, "ethernet", "fixed interface"),
        ("enp3s0", {}, "ethernet", "fixed interface"),
        ("ppp0", {"type": 512, "operstate": "unknown"}, "cellular", "name ppp0"),
        ("wwan0", {"driver": "qmi_wwan"}, "cellular", "name wwan0"),
        ("usb0", {"driver": "rndis_host", "vendor": "12d1"}, "cellular", "driver rndis_host"),
        ("eth1", {"driver": "cdc_ether"}, "cellular", "driver cdc_ether"),
        ("eth2", {"driver": "huawei_cdc_ncm"}, "cellular", "driver huawei_cdc_ncm"),
        (
            "eth3",
            {"driver": "some_new_driver", "vendor": "19D2"},
            "cellular",
            "usb vendor 19d2 (ZTE)",
        ),
        ("dial0", {"type": 512}, "cellular", "link type ppp"),
    ],
)
def test_each_kind_of_interface_is_classified(tmp_path, iface, spec, kind, reason):
    root = make_tree(tmp_path, [route_line(iface)], {iface: spec})
    info = classify_uplink(root)
    assert (info.interface, info.type, info.cellular, info.reason) == (
        iface,
        kind,
        kind == "cellular",
        reason,
    )
    assert info.gateway == "192.168.1.1"
    assert info.fixed is (kind != "cellular")


def test_no_default_route_is_none(tmp_path):
    root = make_tree(
        tmp_path,
        [route_line("eth0", dest="0001A8C0", mask="00FFFFFF", gw="00000000")],
        {"eth0": {}},
    )
    info = classify_uplink(root)
    assert (info.interface, info.type, info.cellular, info.fixed) == (None, "none", False, False)


def test_missing_proc_is_none_not_an_error(tmp_path):
    assert classify_uplink(str(tmp_path)).type == "none"


def test_lowest_metric_default_route_wins_and_down_routes_are_ignored(tmp_path):
    root = make_tree(
        tmp_path,
        [
            route_line("eth0", metric=100, flags="0002"),  # not RTF_UP
            route_line("wwan0", metric=700),
            route_line("eth1", metric=200, gw="FE01A8C0"),
        ],
        {"eth0": {}, "eth1": {}, "wwan0": {}},
    )
    assert [r.interface for r in default_routes(root)] == ["eth1", "wwan0"]
    info = classify_uplink(root)
    assert (info.interface, info.type, info.gateway) == ("eth1", "ethernet", "192.168.1.254")


def test_garbage_lines_in_route_table_are_skipped(tmp_path):
    root = make_tree(
        tmp_path, ["junk line\n", route_line("eth0", metric="x"), route_line("ppp0")], {"ppp0": {}}
    )
    assert classify_uplink(root).interface == "ppp0"


def test_this_machine_classifies_without_privileges_or_errors():
    info = classify_uplink()
    assert info.type in ("fibre", "dsl", "ethernet", "cellular", "none")


# --- the uplink probe on a fake tree: ISP from the configured lines, modem from mmcli output ---

FIXTURES = FIXTURES / "mmcli"


def mmcli_from(listing: str, modem: str):
    """A recorded ``mmcli`` for ModemReader: ``-L`` gives ``listing``, ``-m <path>`` ``modem``."""
    calls = []

    def run(args):
        calls.append(args)
        if args == ["-L"]:
            return (FIXTURES / listing).read_text()
        assert args[0] == "-m" and args[1].startswith("/org/freedesktop/ModemManager1/Modem/")
        return (FIXTURES / modem).read_text()

    run.calls = calls
    return run


def write_counters(root, iface, rx, tx):
    stats = Path(root) / "sys/class/net" / iface / "statistics"
    stats.mkdir(parents=True, exist_ok=True)
    (stats / "rx_bytes").write_text(f"{rx}\n")
    (stats / "tx_bytes").write_text(f"{tx}\n")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


NO_RAW = RawSocketAccess(check=lambda: "CAP_NET_RAW missing")


@pytest.mark.parametrize(
    "modem,tech,signal,operator",
    [
        ("modem-huawei-lte-viettel.txt", "LTE", 67, "Viettel"),
        ("modem-zte-3g-vinaphone.txt", "UMTS", 38, "VINAPHONE"),
        ("modem-no-signal.txt", None, 0, None),
        ("modem-garbage.txt", None, None, None),
    ],
)
def test_mmcli_output_gives_technology_signal_and_operator(modem, tech, signal, operator):
    status = ModemReader(run=mmcli_from("list-one.txt", modem)).read()
    assert (status.access_tech, status.signal_percent, status.operator) == (tech, signal, operator)


def test_no_modem_listed_means_no_readings():
    run = mmcli_from("list-none.txt", "modem-huawei-lte-viettel.txt")
    assert ModemReader(run=run).read() is None
    assert run.calls == [["-L"]]


def test_failing_mmcli_is_logged_once_and_gives_no_readings(caplog):
    def broken(args):
        raise subprocess.CalledProcessError(1, ["mmcli", *args], stderr="couldn't connect")

    reader = ModemReader(run=broken)
    assert reader.read() is None and reader.read() is None
    assert len([r for r in caplog.records if "mmcli failed" in r.getMessage()]) == 1


def test_usb_dcom_uplink_reports_modem_isp_and_bandwidth(tmp_path):
    root = make_tree(
        tmp_path, [route_line("usb0")], {"usb0": {"driver": "rndis_host", "vendor": "12d1"}}
    )
    write_counters(root, "usb0", 1_000_000, 200_000)
    clock = Clock()
    settings = GatewaySettings(lines=[UplinkLine("Viettel", "cellular", "usb0", rate_mbps=8)])
    probe = UplinkProbe(
        settings,
        broker_host="127.0.0.1",
        root=root,
        clock=clock,
        raw=NO_RAW,
        modem=ModemReader(run=mmcli_from("list-one.txt", "modem-huawei-lte-viettel.txt")),
    )
    [first] = probe.collect()
    assert first.fields == {
        "type": "cellular",
        "isp": "Viettel",
        "interface": "usb0",
        "fixed": False,
        "cellular": True,
        "up": True,
        "failover": False,
        "rate_bps": 8e6,
        "access_tech": "LTE",
        "signal_percent": 67,
        "operator": "Viettel",
    }
    clock.now += 60
    write_counters(root, "usb0", 1_000_000 + 6_000_000, 200_000 + 600_000)
    [second] = probe.collect()
    assert second.fields["bandwidth_in_bps"] == 800_000.0  # 6 MB in 60 s
    assert second.fields["bandwidth_out_bps"] == 80_000.0
    assert second.fields["utilisation_percent"] == 10.0
    assert "rtt_ms" not in second.fields, "no ICMP without CAP_NET_RAW"
    assert probe.events() == []


def test_an_unconfigured_modem_takes_its_isp_from_the_operator(tmp_path):
    root = make_tree(tmp_path, [route_line("wwan0")], {"wwan0": {"driver": "qmi_wwan"}})
    probe = UplinkProbe(
        GatewaySettings(),
        root=root,
        raw=NO_RAW,
        modem=ModemReader(run=mmcli_from("list-one.txt", "modem-zte-3g-vinaphone.txt")),
    )
    [sample] = probe.collect()
    assert (sample.fields["isp"], sample.fields["access_tech"], sample.fields["failover"]) == (
        "VINAPHONE",
        "UMTS",
        False,
    )


def test_a_pppoe_line_configured_as_fixed_is_not_cellular(tmp_path):
    root = make_tree(tmp_path, [route_line("ppp0")], {"ppp0": {"type": 512}})
    probe = UplinkProbe(
        GatewaySettings(lines=[UplinkLine("VNPT", "fibre", "ppp0")]),
        root=root,
        raw=NO_RAW,
        modem=ModemReader(run=mmcli_from("list-none.txt", "")),
    )
    [sample] = probe.collect()
    assert (sample.fields["type"], sample.fields["fixed"], sample.fields["cellular"]) == (
        "fibre",
        True,
        False,
    )


def test_a_line_is_matched_by_next_hop_and_an_interface_down_is_a_lost_link(tmp_path):
    root = make_tree(tmp_path, [route_line("eth1", gw="FE01A8C0")], {"eth1": {}})
    lines = [
        UplinkLine("VNPT", "fibre", gateway="192.168.1.1"),
        UplinkLine("Viettel", "fibre", gateway="192.168.1.254"),
    ]
    probe = UplinkProbe(
        GatewaySettings(lines=lines),
        root=root,
        raw=NO_RAW,
        modem=ModemReader(run=mmcli_from("list-none.txt", "")),
    )
    [sample] = probe.collect()
    assert (sample.fields["isp"], sample.fields["failover"]) == ("Viettel", True)
    (Path(root) / "sys/class/net/eth1/operstate").write_text("down\n")
    [sample] = probe.collect()
    assert sample.fields["up"] is False
    [event] = probe.events()
    assert (event.type, event.severity, event.data["reason"], event.data["from_isp"]) == (
        "uplink_changed",
        "critical",
        "link_lost",
        "Viettel",
    )


def test_without_a_route_table_the_probe_reports_nothing_rather_than_guess(tmp_path):
    assert UplinkProbe(root=str(tmp_path), raw=NO_RAW).collect() == []


def test_missing_scapy_is_one_clear_message_and_raw_measurements_stay_off(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "scapy", None)  # how Python marks a module as unavailable
    access = RawSocketAccess()
    assert access.allowed is False and access.allowed is False
    assert "scapy is not installed: pip install 'schoolnet[gateway]'" in access.reason
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "the other probes keep running" in warnings[0]
