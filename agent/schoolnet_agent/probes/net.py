"""Traffic and errors per network interface, as monotonic counters.

Loopback and the virtual interfaces of containers and bridges are left out: they say nothing
about the school's network and their number is unbounded. Growing error or drop counters on a
lab PC's NIC point at a bad cable or switch port.
"""

from __future__ import annotations

from typing import Any

import psutil

from schoolnet_agent.probes.base import Field, Probe
from schoolnet_agent.protocol import Sample

MAX_NICS = 16
VIRTUAL_PREFIXES = ("lo", "veth", "docker", "br-", "virbr", "ifb", "dummy", "cni", "flannel")


class NetProbe(Probe):
    name = "net"
    description = "Traffic per network interface since boot."
    instance = "interface name (`eth0`, `wlan0`, `Ethernet`)"
    fields = (
        Field("recv_bytes_total", "bytes", "bytes received"),
        Field("sent_bytes_total", "bytes", "bytes sent"),
        Field("recv_packets_total", "packets", "packets received", optional=True),
        Field("sent_packets_total", "packets", "packets sent", optional=True),
        Field("recv_errors_total", "errors", "receive errors"),
        Field("sent_errors_total", "errors", "send errors"),
        Field("recv_drops_total", "packets", "incoming packets dropped", optional=True),
        Field("sent_drops_total", "packets", "outgoing packets dropped", optional=True),
        Field("up", "bool", "the interface is up"),
        Field("speed_bps", "bps", "negotiated link speed, when the driver tells it", optional=True),
    )

    def __init__(self, ps: Any = psutil) -> None:
        self.ps = ps

    def collect(self) -> list[Sample]:
        counters = self.ps.net_io_counters(pernic=True) or {}
        stats = self.ps.net_if_stats()
        samples = []
        for nic in sorted(counters):
            if nic.startswith(VIRTUAL_PREFIXES) or "loopback" in nic.lower() or len(nic) > 128:
                continue
            c, st = counters[nic], stats.get(nic)
            samples.append(
                self.sample(
                    {
                        "recv_bytes_total": c.bytes_recv,
                        "sent_bytes_total": c.bytes_sent,
                        "recv_packets_total": c.packets_recv,
                        "sent_packets_total": c.packets_sent,
                        "recv_errors_total": c.errin,
                        "sent_errors_total": c.errout,
                        "recv_drops_total": c.dropin,
                        "sent_drops_total": c.dropout,
                        "up": st.isup if st else None,
                        "speed_bps": st.speed * 1_000_000 if st and st.speed > 0 else None,
                    },
                    instance=nic,
                )
            )
        return samples[:MAX_NICS]
