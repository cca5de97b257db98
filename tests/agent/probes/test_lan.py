"""The lan probe: its OUI lookup names vendors as netaddr does (reading netaddr's files itself,
to keep 13 MiB out of the gateway agent), and an ARP sweep of a classroom LAN built from
network namespaces finds its hosts with vendor and kind and reports changes once."""

from __future__ import annotations

import random

from netaddr import EUI
from netaddr.core import NotRegisteredError

from schoolnet_agent.probes.lan import OuiVendors
from tests.support.gateway_probes import (
    CANON,
    DELL,
    EPSON,
    PROMETHEAN,
    RANDOM,
    agent_toml,
    netns_test,
)
from tests.support.netns import school_lan


def netaddr_name(mac: str) -> str:
    try:
        return EUI(mac).oui.registration().org.strip()
    except NotRegisteredError:
        return ""


def test_vendor_names_equal_netaddrs_for_a_sample_of_the_registry():
    rng = random.Random(7)
    # Vendors seen in schools (Epson, Wistron, Dell) and random universally administered OUIs.
    macs = ["a4:ee:57:00:00:01", "00:26:2d:00:00:02", "f8:bc:12:00:00:03"]
    macs += [
        f"{rng.randrange(0, 256) & 0xFC:02x}:{rng.randrange(256):02x}:{rng.randrange(256):02x}"
        ":00:00:01"
        for _ in range(300)
    ]
    ours = OuiVendors().vendors(macs)
    assert ours == {mac: netaddr_name(mac) for mac in macs}
    assert sum(1 for name in ours.values() if name) >= 3, "the sample must include registered OUIs"


def test_locally_administered_and_malformed_addresses_have_no_vendor():
    vendors = OuiVendors().vendors(["02:00:00:00:00:01", "da:a1:19:00:00:01", "not-a-mac"])
    assert set(vendors.values()) == {""}


@netns_test
def test_arp_sweep_finds_the_classroom_with_vendor_and_kind_and_reports_changes_once():
    with school_lan() as lan:
        for number, (label, mac) in enumerate(
            [
                ("projector", EPSON),
                ("board", PROMETHEAN),
                ("pc", DELL),
                ("phone", RANDOM),
                ("printer", CANON),
            ],
            start=10,
        ):
            lan.add_host(label, mac, number)
        config = agent_toml(
            lan.gateway_ip,
            f"""\
            lan_subnets = ["{lan.subnet}"]
            lan_known_macs = ["{EPSON.upper()}", "{PROMETHEAN.replace(":", "-")}", "{DELL}"]
            lan_missing_sweeps = 2
            lan_sweep_seconds = 600
            """,
        )
        with lan.driver(config, ["lan"]) as probe:
            first = probe.collect()
            [sample] = first["samples"]
            assert sample["instance"] == lan.subnet
            fields = sample["fields"]
            assert fields["hosts_count"] == 5
            assert (
                fields["projector_count"],
                fields["board_count"],
                fields["pc_count"],
                fields["printer_count"],
                fields["unidentified_count"],
            ) == (1, 1, 1, 1, 1)
            assert fields["unknown_count"] == 2, (
                "the phone and the printer are not in the inventory"
            )
            assert fields["known_count"] == 3 and fields["missing_count"] == 0
            assert 0 < fields["sweep_seconds"] < 10
            assert [e["type"] for e in first["events"]] == ["lan_host_unknown"], (
                "the phone's randomised MAC is counted, not reported: it changes every day"
            )
            assert first["events"][0]["data"] == {
                "mac": CANON,
                "vendor": "CANON INC.",
                "likely_kind": "printer",
                "ip": lan.hosts["printer"].ip,
            }

            assert probe.collect(advance=60) == {"samples": [], "events": []}, (
                "the sweep keeps its own 10-minute interval"
            )

            lan.unplug("projector")
            once = probe.collect(advance=600)
            assert once["samples"][0]["fields"]["hosts_count"] == 4
            assert once["events"] == [], "one missed sweep is not yet missing"
            twice = probe.collect(advance=600)
            assert [e["type"] for e in twice["events"]] == ["lan_host_missing"]
            event = twice["events"][0]
            assert event["data"] == {
                "mac": EPSON,
                "vendor": "Seiko Epson Corporation",
                "likely_kind": "projector",
                "ip": lan.hosts["projector"].ip,
            }
            assert event["severity"] == "warning"
            assert twice["samples"][0]["fields"]["missing_count"] == 1
            assert probe.collect(advance=600)["events"] == [], "reported once, not every sweep"

            lan.plug("projector")
            back = probe.collect(advance=600)
            assert back["events"] == [] and back["samples"][0]["fields"]["missing_count"] == 0
            assert back["samples"][0]["fields"]["projector_count"] == 1
