"""Uplink classification from /proc/net/route and /sys/class/net, on a tree built per test.

The tree mirrors what Linux shows for each kind of uplink (symlinked ``device/driver``, USB
``idVendor`` one level above the interface's ``device``), so no modem is needed.
"""
from __future__ import annotations

import os

import pytest

from schoolnet_agent.probes.uplink_classify import classify_uplink, default_routes

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


@pytest.mark.parametrize("iface,spec,kind,reason", [
    ("eth0", {"driver": "r8169"}, "ethernet", "fixed interface"),
    ("enp3s0", {}, "ethernet", "fixed interface"),
    ("ppp0", {"type": 512, "operstate": "unknown"}, "cellular", "name ppp0"),
    ("wwan0", {"driver": "qmi_wwan"}, "cellular", "name wwan0"),
    ("usb0", {"driver": "rndis_host", "vendor": "12d1"}, "cellular", "driver rndis_host"),
    ("eth1", {"driver": "cdc_ether"}, "cellular", "driver cdc_ether"),
    ("eth2", {"driver": "huawei_cdc_ncm"}, "cellular", "driver huawei_cdc_ncm"),
    ("eth3", {"driver": "some_new_driver", "vendor": "19D2"}, "cellular", "usb vendor 19d2 (ZTE)"),
    ("dial0", {"type": 512}, "cellular", "link type ppp"),
])
def test_each_kind_of_interface_is_classified(tmp_path, iface, spec, kind, reason):
    root = make_tree(tmp_path, [route_line(iface)], {iface: spec})
    info = classify_uplink(root)
    assert (info.interface, info.type, info.cellular, info.reason) == (iface, kind, kind == "cellular", reason)
    assert info.gateway == "192.168.1.1"
    assert info.fixed is (kind != "cellular")


def test_no_default_route_is_none(tmp_path):
    root = make_tree(tmp_path, [route_line("eth0", dest="0001A8C0", mask="00FFFFFF", gw="00000000")],
                     {"eth0": {}})
    info = classify_uplink(root)
    assert (info.interface, info.type, info.cellular, info.fixed) == (None, "none", False, False)


def test_missing_proc_is_none_not_an_error(tmp_path):
    assert classify_uplink(str(tmp_path)).type == "none"


def test_lowest_metric_default_route_wins_and_down_routes_are_ignored(tmp_path):
    root = make_tree(tmp_path, [
        route_line("eth0", metric=100, flags="0002"),  # not RTF_UP
        route_line("wwan0", metric=700),
        route_line("eth1", metric=200, gw="FE01A8C0"),
    ], {"eth0": {}, "eth1": {}, "wwan0": {}})
    assert [r.interface for r in default_routes(root)] == ["eth1", "wwan0"]
    info = classify_uplink(root)
    assert (info.interface, info.type, info.gateway) == ("eth1", "ethernet", "192.168.1.254")


def test_garbage_lines_in_route_table_are_skipped(tmp_path):
    root = make_tree(tmp_path, ["junk line\n", route_line("eth0", metric="x"),
                                route_line("ppp0")], {"ppp0": {}})
    assert classify_uplink(root).interface == "ppp0"


def test_this_machine_classifies_without_privileges_or_errors():
    info = classify_uplink()
    assert info.type in ("fibre", "dsl", "ethernet", "cellular", "none")
