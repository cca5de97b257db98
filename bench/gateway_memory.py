"""Resident memory of the school gateway's agent with its probes, against the design's aim.

A classroom LAN is built from network namespaces (``tests/support/netns.py``: fake hosts with
real vendors' MACs, an uplink whose far side answers for the broker's address); nothing leaves
them. Each measurement is a child process inside the gateway namespace that loads an agent
configuration and probes exactly as the agent does (``load_config``, ``load_probes``,
``ProbeSet``) and prints its memory (``psutil`` RSS and USS, the kernel's peak ``VmHWM``)
after start and after each collection. The clock of the probes is moved forward 10 minutes
between collections, so the LAN sweep runs every time.

Children, all in the same run:

* ``baseline``: the agent's modules and probe framework, no gateway probe;
* ``uplink``, ``netquality``, ``lan``: one gateway probe each;
* ``gateway``: the three together (what a gateway runs);
* ``gateway_unreduced``: the same, with scapy imported as a plain ``from scapy... import``
  does (Wireshark's vendor table and ``cryptography`` loaded) and each vendor looked up
  through ``netaddr.EUI(...).oui`` (its whole OUI index in memory), and the packets of a
  measurement left to Python's occasional full garbage collection: the figures before the
  reduction, for the ratio.

Printed: one JSON line per child, then a summary with ``gateway_rss_mb`` (decimal MB, as the
aim is written) against ``AIM_GATEWAY_MB`` and the ratio of the reduced to the unreduced
gateway. Needs root (namespaces, raw sockets). Exits 1 if the gateway is over the aim.

Usage: ``python bench/gateway_memory.py [--collections 3] [--hosts 20]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.netns import netns_available, school_lan  # noqa: E402

AIM_GATEWAY_MB = 60.0  # ../shared/DESIGN.md: "gateway ≤ 60 MB"
# Real vendors' OUIs (projectors, boards, PCs, printers, network gear) and one randomised MAC.
OUIS = (
    "00:26:ab",
    "6c:dc:6a",
    "d0:43:1e",
    "84:ba:3b",
    "00:1b:21",
    "3c:52:82",
    "00:0d:0b",
    "b8:27:eb",
    "00:17:88",
    "f0:9f:c2",
    "00:80:77",
    "00:00:74",
    "02:5e:10",
)

CHILD = textwrap.dedent("""\
    import json, os, sys, tempfile, time
    import psutil
    setup = json.loads(sys.argv[1])
    proc = psutil.Process()

    def report(step):
        info = proc.memory_full_info()
        with open("/proc/self/status") as status:
            hwm = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
        print(json.dumps({"step": step, "rss": info.rss, "uss": info.uss, "hwm": hwm * 1024}),
              flush=True)

    if setup["unreduced"]:
        import scapy.layers.inet, scapy.layers.l2, scapy.sendrecv  # as imported before
    from schoolnet_agent.config import load_config
    from schoolnet_agent.assembly import load_probes
    from schoolnet_agent.probes.sampling import ProbeSet
    if setup["unreduced"]:
        from netaddr import EUI
        from netaddr.core import NotRegisteredError
        import schoolnet_agent.probes.lan as lan

        def netaddr_vendors(macs):
            out = {}
            for mac in macs:
                try:
                    registration = None if int(mac[:2], 16) & 2 else EUI(mac).oui.registration()
                    out[mac] = registration.org.strip() if registration else ""
                except (NotRegisteredError, ValueError, IndexError):
                    out[mac] = ""
            return out
        lan.OUI_VENDORS.vendors = netaddr_vendors
        import schoolnet_agent.probes.helpers.icmp as icmp
        icmp.free_packets = lan.free_packets = lambda: None  # dead packets wait for Python's gc
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(setup["toml"])
    config = load_config(f.name, env={})
    os.unlink(f.name)
    offset = [0.0]
    probes = load_probes(config, setup["probes"])
    for probe in probes:
        if hasattr(probe, "clock"):
            probe.clock = lambda: time.monotonic() + offset[0]
    probe_set = ProbeSet(probes)
    report("start")
    for n in range(setup["collections"]):
        samples = probe_set.collect()
        probe_set.events()
        if setup["probes"] and not samples:
            sys.exit(f"collection {n + 1} returned nothing")
        report(f"collect{n + 1}")
        offset[0] += 600
    """)


def agent_toml(broker: str, subnet: str) -> str:
    return textwrap.dedent(f"""\
        [device]
        school = "lc-test-01"
        id = "gw"
        kind = "gateway"
        [mqtt]
        host = "{broker}"
        [state]
        directory = "/nonexistent-not-used"
        [gateway]
        lan_subnets = ["{subnet}"]
        ping_count = 5
        ping_lan_gateway = true
        lines = [{{interface = "wan0", isp = "VNPT", type = "fibre", rate_mbps = 100}}]
        """)


def measure(lan, name: str, probes: list[str], collections: int, unreduced: bool = False) -> dict:
    setup = {
        "toml": agent_toml(lan.collector_ip, lan.subnet),
        "probes": probes,
        "collections": collections,
        "unreduced": unreduced,
    }
    done = lan.run_python(CHILD.replace("sys.argv[1]", repr(json.dumps(setup))), timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"{name}: child failed: {done.stderr[-3000:]}")
    steps = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    mib = 2**20
    result = {
        "child": name,
        "probes": probes,
        **{f"{s['step']}_rss_mib": round(s["rss"] / mib, 1) for s in steps},
        "last_uss_mib": round(steps[-1]["uss"] / mib, 1),
        "peak_rss_mib": round(steps[-1]["hwm"] / mib, 1),
        "last_rss_mb": round(steps[-1]["rss"] / 1e6, 1),
    }
    print(json.dumps(result), flush=True)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--collections", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=20)
    args = parser.parse_args()
    if (why := netns_available()) is not None:
        print(f"cannot run: {why}", file=sys.stderr)
        return 2
    with school_lan(subnet_prefix="10.77.0") as lan:
        for n in range(args.hosts):
            mac = f"{OUIS[n % len(OUIS)]}:{n // 256:02x}:{n % 256:02x}:{os.getpid() % 256:02x}"
            lan.add_host(f"h{n}", mac, 10 + n)
        lan.add_uplink("wan0", metric=100)
        runs = {
            name: measure(lan, name, probes, args.collections)
            for name, probes in (
                ("baseline", []),
                ("uplink", ["uplink"]),
                ("netquality", ["netquality"]),
                ("lan", ["lan"]),
                ("gateway", ["uplink", "netquality", "lan"]),
            )
        }
        runs["gateway_unreduced"] = measure(
            lan,
            "gateway_unreduced",
            ["uplink", "netquality", "lan"],
            args.collections,
            unreduced=True,
        )
    gateway, before = runs["gateway"], runs["gateway_unreduced"]
    summary = {
        "gateway_rss_mb": gateway["last_rss_mb"],
        "aim_mb": AIM_GATEWAY_MB,
        "ratio_to_aim": round(gateway["last_rss_mb"] / AIM_GATEWAY_MB, 2),
        "unreduced_rss_mb": before["last_rss_mb"],
        "ratio_reduced_to_unreduced": round(gateway["last_rss_mb"] / before["last_rss_mb"], 2),
        "gateway_probes_add_mib": round(
            gateway[f"collect{args.collections}_rss_mib"] - runs["baseline"]["start_rss_mib"], 1
        ),
    }
    print(json.dumps(summary))
    return 0 if gateway["last_rss_mb"] <= AIM_GATEWAY_MB else 1


if __name__ == "__main__":
    sys.exit(main())
