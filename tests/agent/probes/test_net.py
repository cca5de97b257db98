"""The net probe fed a fake psutil: the machine's own interfaces, not loopback or virtual ones."""

from __future__ import annotations

from collections import namedtuple
from types import SimpleNamespace

from schoolnet_agent.probes.net import NetProbe
from tests.support.fake_psutil import fake

Nic = namedtuple(
    "Nic", "bytes_sent bytes_recv packets_sent packets_recv errin errout dropin dropout"
)


def test_net_leaves_out_loopback_and_virtual_interfaces():
    nics = {
        n: Nic(1, 2, 3, 4, 0, 0, 5, 0)
        for n in ("lo", "eth0", "veth12ab", "docker0", "Loopback Pseudo-Interface 1", "Ethernet 2")
    }
    stats = {
        "eth0": SimpleNamespace(isup=True, speed=100),
        "Ethernet 2": SimpleNamespace(isup=False, speed=0),
    }
    samples = NetProbe(
        fake(net_io_counters=lambda pernic: nics, net_if_stats=lambda: stats)
    ).collect()
    assert [s.instance for s in samples] == ["Ethernet 2", "eth0"]
    assert (
        samples[1].fields["speed_bps"] == 100_000_000 and samples[1].fields["recv_drops_total"] == 5
    )
    assert "speed_bps" not in samples[0].fields and samples[0].fields["up"] is False
