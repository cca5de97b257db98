"""Network namespaces for tests: a school's gateway, its classroom LAN with fake hosts, its uplinks.

Every packet stays inside namespaces created here: the test machine's own network is never
touched (no route, address or interface is added outside them). Names include the process id
and a counter, so parallel runs do not collide, and ``school_lan()`` deletes everything it made
on the way out, also when a test fails.

Layout made by ``school_lan()``::

    host ns "<p>h<i>" (eth0, chosen MAC) ──veth── bridge "br-lan" in the gateway ns "<p>gw"
    gateway ns: uplinks added by add_uplink(): "wan0" ──veth── "<p>u<i>" (the ISP's side,
    which also carries the collector's address on its loopback)

The Linux kernel in each host namespace answers ARP and ICMP itself, so a host is just a
namespace with an address and a MAC; MACs from real vendors' OUIs exercise the vendor lookup.

Packet loss: the kernel here has no ``tc netem``, so loss is injected with iptables in the host
namespace (``-m statistic --mode random --probability P -j DROP`` on incoming echo requests).

Code runs inside the gateway namespace through ``ip netns exec`` (which also mounts that
namespace's /sys), either once (``run_python``) or as a long-lived ``ProbeDriver`` that builds
agent probes from a real agent configuration and collects on command.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from devenv.services import refuse_if_forbidden

ROOT_DIR = Path(__file__).resolve().parents[2]
_counter = itertools.count()


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=30)
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {result.stderr.strip()}")
    return result


def netns_available() -> str | None:
    """None if namespaces can be made here, else why not (for pytest.skip)."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    name = f"snchk{os.getpid()}"
    try:
        sh("ip", "netns", "add", name)
    except (RuntimeError, OSError) as exc:
        return f"cannot create a network namespace: {exc}"
    sh("ip", "netns", "del", name, check=False)
    return None


@dataclass
class FakeHost:
    label: str
    netns: str
    ip: str
    mac: str


@dataclass
class Uplink:
    interface: str  # name in the gateway namespace (wan0, wwan0, ppp0...)
    netns: str  # the ISP side
    gateway_ip: str
    metric: int


@dataclass
class SchoolLan:
    """A gateway namespace with a bridged classroom LAN; see the module docstring."""

    prefix: str
    subnet_prefix: str = "10.77.0"  # the LAN is <subnet_prefix>.0/24, the gateway .1
    collector_ip: str = "10.99.0.10"
    hosts: dict[str, FakeHost] = field(default_factory=dict)
    uplinks: dict[str, Uplink] = field(default_factory=dict)
    namespaces: list[str] = field(default_factory=list)

    @property
    def gateway_ns(self) -> str:
        return f"{self.prefix}gw"

    @property
    def subnet(self) -> str:
        return f"{self.subnet_prefix}.0/24"

    @property
    def gateway_ip(self) -> str:
        return f"{self.subnet_prefix}.1"

    def _new_ns(self, name: str) -> str:
        refuse_if_forbidden("network namespace")
        sh("ip", "netns", "add", name)
        self.namespaces.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    @property
    def etc_dir(self) -> Path:
        """Files here replace /etc's inside ``ip netns exec`` (hosts, resolv.conf)."""
        return Path("/etc/netns") / self.gateway_ns

    def build(self) -> None:
        # Name lookups inside the gateway namespace go to its own loopback (nothing listens:
        # an unknown name fails at once) and to the hosts file of resolve_names().
        self.etc_dir.mkdir(parents=True, exist_ok=True)
        (self.etc_dir / "resolv.conf").write_text(
            "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"
        )
        self.resolve_names({})
        gw = self._new_ns(self.gateway_ns)
        sh("ip", "-n", gw, "link", "add", "br-lan", "type", "bridge")
        sh("ip", "-n", gw, "addr", "add", f"{self.gateway_ip}/24", "dev", "br-lan")
        sh("ip", "-n", gw, "link", "set", "br-lan", "up")

    def add_host(self, label: str, mac: str, host_number: int) -> FakeHost:
        """A fake device at ``<subnet_prefix>.<host_number>`` with ``mac``, plugged into the LAN."""
        ns = self._new_ns(f"{self.prefix}h{len(self.hosts)}")
        port = f"p{len(self.hosts)}"
        ip = f"{self.subnet_prefix}.{host_number}"
        sh(
            "ip",
            "link",
            "add",
            "eth0",
            "netns",
            ns,
            "address",
            mac,
            "type",
            "veth",
            "peer",
            "name",
            port,
            "netns",
            self.gateway_ns,
        )
        sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", self.gateway_ns, "link", "set", port, "master", "br-lan")
        sh("ip", "-n", self.gateway_ns, "link", "set", port, "up")
        self.hosts[label] = host = FakeHost(label, ns, ip, mac.lower())
        return host

    def unplug(self, label: str) -> None:
        """The device leaves the LAN (switched off, stolen): its cable goes down."""
        sh("ip", "-n", self.hosts[label].netns, "link", "set", "eth0", "down")

    def plug(self, label: str) -> None:
        sh("ip", "-n", self.hosts[label].netns, "link", "set", "eth0", "up")

    def resolve_names(self, names: dict[str, str]) -> None:
        """Host names the gateway namespace resolves (its /etc/hosts), name → address."""
        lines = ["127.0.0.1 localhost", *(f"{ip} {name}" for name, ip in names.items())]
        (self.etc_dir / "hosts").write_text("\n".join(lines) + "\n")

    def drop_echo_requests(self, label: str, probability: float) -> None:
        """The host loses this share of incoming pings, at random (iptables, not netem)."""
        sh(
            "ip",
            "netns",
            "exec",
            self.hosts[label].netns,
            "iptables",
            "-A",
            "INPUT",
            "-p",
            "icmp",
            "--icmp-type",
            "echo-request",
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            f"{probability}",
            "-j",
            "DROP",
        )

    def add_uplink(self, interface: str, metric: int, index: int | None = None) -> Uplink:
        """An ISP behind ``interface`` with a default route of ``metric``; the ISP side answers
        for ``collector_ip`` too, so probes can reach "the collector" over either uplink."""
        index = len(self.uplinks) if index is None else index
        isp = self._new_ns(f"{self.prefix}u{index}")
        net = f"10.{88 + index}.0"
        sh(
            "ip",
            "link",
            "add",
            interface,
            "netns",
            self.gateway_ns,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            isp,
        )
        sh("ip", "-n", isp, "addr", "add", f"{net}.1/24", "dev", "eth0")
        sh("ip", "-n", isp, "addr", "add", f"{self.collector_ip}/32", "dev", "lo")
        sh("ip", "-n", isp, "link", "set", "eth0", "up")
        sh("ip", "-n", self.gateway_ns, "addr", "add", f"{net}.2/24", "dev", interface)
        uplink = Uplink(interface, isp, f"{net}.1", metric)
        self.uplinks[interface] = uplink
        self.uplink_up(interface)
        return uplink

    def uplink_down(self, interface: str) -> None:
        """The line fails: the interface goes down and the kernel drops its routes."""
        sh("ip", "-n", self.gateway_ns, "link", "set", interface, "down")

    def uplink_up(self, interface: str) -> None:
        u = self.uplinks[interface]
        sh("ip", "-n", self.gateway_ns, "link", "set", interface, "up")
        sh(
            "ip",
            "-n",
            self.gateway_ns,
            "route",
            "replace",
            "default",
            "via",
            u.gateway_ip,
            "dev",
            interface,
            "metric",
            str(u.metric),
        )

    def run_python(
        self, code: str, prefix: list[str] = (), timeout: float = 60
    ) -> subprocess.CompletedProcess:
        """Run ``code`` with this test environment's Python inside the gateway namespace;
        ``prefix`` goes before the interpreter (e.g. ``setpriv`` to drop privileges)."""
        return subprocess.run(
            ["ip", "netns", "exec", self.gateway_ns, *prefix, sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def driver(self, agent_toml: str, probes: list[str]) -> ProbeDriver:
        return ProbeDriver(self.gateway_ns, agent_toml, probes)

    def destroy(self) -> None:
        for ns in reversed(self.namespaces):
            sh("ip", "netns", "del", ns, check=False)
        self.namespaces.clear()
        shutil.rmtree(self.etc_dir, ignore_errors=True)


@contextmanager
def school_lan(subnet_prefix: str = "10.77.0") -> Iterator[SchoolLan]:
    """A fresh gateway namespace with an empty classroom LAN, deleted afterwards whatever happens."""
    lan = SchoolLan(prefix=f"sn{os.getpid()}x{next(_counter)}", subnet_prefix=subnet_prefix)
    try:
        lan.build()
        yield lan
    finally:
        lan.destroy()


class ProbeDriver:
    """Agent probes living in a process inside a namespace, collecting when told.

    The probes are built exactly as the agent builds them (``load_config`` then ``load_probes``
    with the config), run through ``ProbeSet`` (so the wire checks apply), and each ``collect()``
    returns ``{"samples": [...], "events": [...]}``. ``advance`` moves the probes' monotonic
    clock forward, so an interval (a sweep every 10 minutes) passes without waiting.
    """

    def __init__(self, netns: str, agent_toml: str, probes: list[str]):
        code = (
            f"import sys; sys.path.insert(0, {str(ROOT_DIR)!r}); "
            "from tests.support import netns; netns._driver_main()"
        )
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, sys.executable, "-c", code],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._send({"toml": agent_toml, "probes": probes})

    def _send(self, message: dict) -> dict:
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"probe driver died: {self.proc.stderr.read()[-3000:]}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply

    def collect(self, advance: float = 0.0) -> dict:
        return self._send({"advance": advance})

    def close(self) -> str:
        """Stop the process; returns what it logged."""
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stderr.read()

    def __enter__(self) -> ProbeDriver:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _driver_main() -> None:  # pragma: no cover - runs in the namespace's subprocess
    import logging
    import tempfile
    import time
    import traceback

    from schoolnet_agent.assembly import load_probes
    from schoolnet_agent.config import load_config
    from schoolnet_agent.probes.sampling import ProbeSet

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    setup = json.loads(sys.stdin.readline())
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(setup["toml"])
    offset = [0.0]
    try:
        config = load_config(f.name, env={})
        probes = load_probes(config, setup["probes"])
        for probe in probes:
            if hasattr(probe, "clock"):
                probe.clock = lambda: time.monotonic() + offset[0]
        probe_set = ProbeSet(probes)
        print(json.dumps({"loaded": probe_set.names}), flush=True)
    except Exception:
        print(json.dumps({"error": traceback.format_exc()}), flush=True)
        return
    finally:
        os.unlink(f.name)
    for line in sys.stdin:
        offset[0] += json.loads(line).get("advance", 0.0)
        try:
            samples = [s.as_json() for s in probe_set.collect()]
            events = [e.as_json() for e in probe_set.events()]
            print(json.dumps({"samples": samples, "events": events}), flush=True)
        except Exception:
            print(json.dumps({"error": traceback.format_exc()}), flush=True)
