"""The LAN sweep's vendor lookup reads netaddr's OUI files itself (to keep 13 MiB out of the
gateway agent): its names must stay netaddr's own, or a netaddr upgrade that changes the file
format would silently turn every projector into an unknown host."""

from __future__ import annotations

import random

from netaddr import EUI
from netaddr.core import NotRegisteredError

from schoolnet_agent.probes.lan import OuiVendors


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
