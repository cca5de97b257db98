"""The uplink probe on built /proc and /sys trees with recorded modem answers (line, ISP,
traffic, failover), and in network namespaces whose default route moves (events, loss)."""

from __future__ import annotations

from pathlib import Path

from schoolnet_agent.probes.helpers.modem import ModemReader
from schoolnet_agent.probes.helpers.rawsocket import RawSocketAccess
from schoolnet_agent.probes.uplink import UplinkProbe
from schoolnet_agent.settings.gateway import GatewaySettings, UplinkLine
from tests.support.gateway_probes import agent_toml, netns_test
from tests.support.netns import school_lan
from tests.support.uplink import make_tree, mmcli_from, route_line


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


@netns_test
def test_uplink_failover_failback_loss_and_return_are_events():
    with school_lan() as lan:
        lan.add_uplink("wan0", metric=100)
        lan.add_uplink("wwan0", metric=700)
        config = agent_toml(
            lan.collector_ip,
            """\
            lines = [{interface = "wan0", isp = "VNPT", type = "fibre", rate_mbps = 100},
                     {interface = "wwan0", isp = "Viettel", type = "cellular", rate_mbps = 20}]
            ping_count = 3
            """,
        )
        with lan.driver(config, ["uplink", "netquality"]) as probe:

            def step():
                result = probe.collect(advance=60)
                [sample] = [s for s in result["samples"] if s["name"] == "uplink"]
                return sample["fields"], [
                    (
                        e["data"]["reason"],
                        e["data"]["from_type"],
                        e["data"]["to_type"],
                        e["data"]["from_isp"],
                        e["data"]["to_isp"],
                    )
                    for e in result["events"]
                ]

            first = probe.collect()
            [broker] = [s["fields"] for s in first["samples"] if s["name"] == "netquality"]
            assert broker == {"tcp_ok": False}, "the broker's echoes are the uplink probe's alone"
            fields, events = step()
            assert events == []
            assert {
                k: fields[k]
                for k in ("type", "isp", "interface", "fixed", "cellular", "up", "failover")
            } == {
                "type": "fibre",
                "isp": "VNPT",
                "interface": "wan0",
                "fixed": True,
                "cellular": False,
                "up": True,
                "failover": False,
            }
            assert fields["loss_percent"] == 0 and fields["rtt_ms"] > 0, (
                "the collector answers via VNPT"
            )
            assert fields["rate_bps"] == 100e6

            fields, events = step()
            assert fields["bandwidth_in_bps"] >= 0 and fields["bandwidth_out_bps"] > 0, (
                "the pings themselves are traffic"
            )
            assert 0 <= fields["utilisation_percent"] < 1

            lan.uplink_down("wan0")
            fields, events = step()
            assert events == [("failover", "fibre", "cellular", "VNPT", "Viettel")]
            assert (fields["type"], fields["isp"], fields["failover"], fields["cellular"]) == (
                "cellular",
                "Viettel",
                True,
                True,
            )
            assert fields["loss_percent"] == 0, "the collector answers via the modem"

            assert step()[1] == [], "one event per change"

            lan.uplink_up("wan0")
            fields, events = step()
            assert events == [("failback", "cellular", "fibre", "Viettel", "VNPT")]
            assert fields["failover"] is False

            lan.uplink_down("wan0")
            lan.uplink_down("wwan0")
            fields, events = step()
            assert events == [("link_lost", "fibre", "none", "VNPT", "")]
            assert (fields["type"], fields["up"], fields["fixed"], fields["cellular"]) == (
                "none",
                False,
                False,
                False,
            )

            lan.uplink_up("wwan0")
            fields, events = step()
            assert events == [("link_back", "none", "cellular", "", "Viettel")]
