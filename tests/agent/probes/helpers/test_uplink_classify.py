"""Uplink classification on built /proc and /sys trees: every kind of interface, the default
route that wins, and nothing but what the kernel shows."""

from __future__ import annotations

import pytest

from schoolnet_agent.probes.helpers.uplink_classify import classify_uplink, default_routes
from tests.support.uplink import make_tree, route_line


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
