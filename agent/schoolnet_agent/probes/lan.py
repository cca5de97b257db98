"""Who is on the classroom LAN: an ARP sweep of the configured subnets, with vendor and kind.

Every host answers ARP, firewall or not, so a sweep finds projectors, boards, printers and
cameras that no agent runs on. The MAC's vendor comes from the IEEE OUI registry shipped with
``netaddr`` (kept current by its maintainers, not a table typed here); the vendor name maps to
a likely kind through ``lan_kinds.toml``. With an inventory (``[gateway] lan_known_macs``)
the probe says when an inventoried device has been missing for ``lan_missing_sweeps`` sweeps
in a row (``lan_host_missing``: a stolen projector, a board left unplugged) and when a device
outside it appears (``lan_host_unknown``; not for randomised, locally administered MACs of
phones, which change daily), each once until it changes again. Without an
inventory it only counts.

A sweep takes about ``SWEEP_TIMEOUT_SECONDS`` plus the time to send one frame per address, so
it runs on its own slow interval (``lan_sweep_seconds``, default 10 minutes) and the probe
reports only after a sweep. It needs CAP_NET_RAW; without it the probe reports nothing.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import ClassVar

from schoolnet_agent.probes.base import Field, Probe, ProbeContext
from schoolnet_agent.probes.helpers.rawsocket import (
    RAW_ACCESS,
    RawSocketAccess,
    free_packets,
    import_scapy_lean,
)
from schoolnet_agent.protocol import Event, Sample
from schoolnet_agent.settings.gateway import GatewaySettings
from schoolnet_agent.util.logonce import LogLimiter

log = logging.getLogger(__name__)

SWEEP_TIMEOUT_SECONDS = 2.0
# Strangers already reported: a school sees a few hundred devices at most, so this bound only
# keeps a months-long run from growing without limit.
MAX_REMEMBERED_UNKNOWN = 4096
MAX_CACHED_VENDORS = 4096  # vendor names of OUIs seen; a school has a few dozen
KINDS = ("projector", "board", "printer", "camera", "network", "phone", "pc", "unknown")


@dataclass(frozen=True)
class LanHost:
    ip: str
    mac: str
    vendor: str
    kind: str


@lru_cache(maxsize=1)
def kind_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(kind, compiled vendor pattern) from ``lan_kinds.toml``, in file order."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 gateways
        import tomli as tomllib
    text = resources.files("schoolnet_agent.probes").joinpath("lan_kinds.toml").read_text()
    return tuple(
        (entry["kind"], re.compile("|".join(f"(?:{v})" for v in entry["vendors"]), re.I))
        for entry in tomllib.loads(text)["kind"]
    )


class OuiVendors:
    """The IEEE registration name of each OUI asked for, read from ``netaddr``'s copy of the
    registry on disk (``oui.idx``: OUI, offset, size of its record in ``oui.txt``).

    ``netaddr.EUI(...).oui`` loads that whole index into a dict on first use: 13 MiB resident
    for the life of the gateway agent, to name the few dozen vendors a school has. Here one
    pass over the index file finds the records of all OUIs not yet known, and only their names
    are kept (bounded). A lookup costs a few milliseconds once per OUI; the names are the same
    as netaddr's (its first record for the OUI, as ``registration()`` gives).
    """

    def __init__(self, directory: Path | None = None, max_cached: int = MAX_CACHED_VENDORS):
        self._directory = directory
        self._max_cached = max_cached
        self._names: dict[int, str] = {}  # insertion-ordered, bounded; "" = not registered
        self._limiter = LogLimiter(log)

    def vendors(self, macs: Iterable[str]) -> dict[str, str]:
        """MAC → vendor name; empty for unregistered or locally administered addresses."""
        ouis = {mac: oui for mac in macs if (oui := _registrable_oui(mac)) is not None}
        self._load({oui for oui in ouis.values() if oui not in self._names})
        return {mac: self._names.get(ouis[mac], "") if mac in ouis else "" for mac in macs}

    def _load(self, wanted: set[int]) -> None:
        if not wanted:
            return
        directory = self._directory or _netaddr_eui_directory()
        if directory is None:
            self._limiter.log(
                "netaddr",
                logging.WARNING,
                "netaddr is not installed: LAN hosts "
                "are counted without their vendor (pip install netaddr)",
            )
            return
        records: dict[int, tuple[int, int]] = {}
        with open(directory / "oui.idx", "rb") as index:
            for line in index:
                key, offset, size = line.split(b",")
                oui = int(key)
                if oui in wanted and oui not in records:
                    records[oui] = (int(offset), int(size))
        with open(directory / "oui.txt", "rb") as registry:
            for oui in wanted:
                name = ""
                if oui in records:
                    registry.seek(records[oui][0])
                    first_line = registry.read(records[oui][1]).decode("utf-8").split("\n", 1)[0]
                    parts = first_line.split(None, 2)
                    name = parts[2].strip() if len(parts) == 3 and "(hex)" in first_line else ""
                self._names[oui] = name
                if len(self._names) > self._max_cached:
                    del self._names[next(iter(self._names))]


def _registrable_oui(mac: str) -> int | None:
    """The MAC's first three octets as a number; None for a randomised or malformed address."""
    try:
        oui = int(mac.replace("-", "").replace(":", "")[:6], 16)
    except ValueError:
        return None
    return None if oui & 0x020000 else oui


def _netaddr_eui_directory() -> Path | None:
    """Where netaddr keeps its IEEE files, found without importing it (nor its index)."""
    spec = importlib.util.find_spec("netaddr")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "eui"


OUI_VENDORS = OuiVendors()


def vendor_of(mac: str) -> str:
    """The IEEE registration name of the MAC's OUI; empty for unregistered or locally
    administered (randomised) addresses."""
    return OUI_VENDORS.vendors([mac])[mac]


def _randomised(mac: str) -> bool:
    """A locally administered address: phones and laptops make up a new one per network (or per
    day), so such a host is counted but never reported as a stranger (it would be every day)."""
    return bool(int(mac[:2], 16) & 0x02)


def likely_kind(vendor: str) -> str:
    for kind, pattern in kind_patterns():
        if vendor and pattern.search(vendor):
            return kind
    return "unknown"


def arp_sweep(
    subnet: str, interface: str | None, timeout: float = SWEEP_TIMEOUT_SECONDS
) -> list[tuple[str, str]]:
    """(ip, mac) of every host in ``subnet`` that answers a broadcast ARP request."""
    try:
        return _arp_replies(subnet, interface, timeout)
    finally:
        free_packets()  # the packets of _arp_replies are unreachable now


def _arp_replies(subnet: str, interface: str | None, timeout: float) -> list[tuple[str, str]]:
    import_scapy_lean()
    from scapy.config import conf
    from scapy.layers.l2 import ARP, Ether
    from scapy.sendrecv import srp

    net = ipaddress.IPv4Network(subnet)
    if interface is None:
        conf.route.resync()  # read at import by scapy; interfaces come and go
        interface, _src, via = conf.route.route(str(next(net.hosts(), net.network_address)))
        if via != "0.0.0.0":
            raise LookupError(f"subnet {subnet} is not on a local interface (reached via {via})")
    targets = [str(ip) for ip in (net.hosts() if net.num_addresses > 2 else net)]
    answered, _ = srp(
        Ether(dst="ff:ff:ff:ff:ff:ff") / ARP(pdst=targets),
        iface=interface,
        timeout=timeout,
        verbose=0,
    )
    return sorted({(r[ARP].psrc, r[ARP].hwsrc.lower()) for _s, r in answered})


def _count_field(kind: str) -> str:
    return "unidentified_count" if kind == "unknown" else f"{kind}_count"


class LanProbe(Probe):
    name = "lan"
    description = (
        "Hosts on each classroom subnet found by an ARP sweep, by likely kind (from the "
        "MAC vendor); gateway only, every `lan_sweep_seconds`. Sends `lan_host_missing` "
        "and `lan_host_unknown` events against the configured inventory."
    )
    instance = "swept subnet (`10.1.2.0/24`)"
    event_data: ClassVar[dict[str, tuple[Field, ...]]] = {
        kind: (
            Field("mac", "text", "the host's MAC address, lowercase"),
            Field("vendor", "text", "the vendor of its OUI"),
            Field("likely_kind", "text", "projector, board, printer, camera, network, phone, pc"),
            Field("ip", "text", "its last address"),
        )
        for kind in ("lan_host_missing", "lan_host_unknown")
    }
    fields = (
        Field("hosts_count", "count", "hosts that answered ARP"),
        *(
            Field(f"{kind}_count", "count", f"hosts whose vendor suggests kind `{kind}`")
            for kind in KINDS[:-1]
        ),
        Field(
            "unidentified_count",
            "count",
            "hosts whose vendor is unregistered, randomised or not in `lan_kinds.toml`",
        ),
        Field("known_count", "count", "inventoried hosts seen"),
        Field("unknown_count", "count", "hosts seen that are not in the inventory"),
        Field(
            "missing_count",
            "count",
            "inventoried hosts of the whole LAN missing for "
            "`lan_missing_sweeps` sweeps (on every subnet's sample)",
        ),
        Field("sweep_seconds", "seconds", "time the sweep of this subnet took"),
    )
    settings_model = GatewaySettings

    def __init__(
        self,
        settings: GatewaySettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        raw: RawSocketAccess = RAW_ACCESS,
        sweeper: Callable[[str, str | None], list[tuple[str, str]]] = arp_sweep,
    ):
        self.settings = settings or GatewaySettings()
        self.clock = clock
        self.raw = raw
        self.sweeper = sweeper
        self.known = frozenset(self.settings.lan_known_macs)
        self._next_sweep: float | None = None
        self._absent_sweeps = dict.fromkeys(self.known, 0)
        self._reported_missing: set[str] = set()
        self._reported_unknown: dict[str, None] = {}  # insertion-ordered, bounded
        self._last_seen: dict[str, LanHost] = {}  # inventoried hosts only
        self._pending: list[Event] = []
        self._limiter = LogLimiter(log)

    @classmethod
    def from_settings(cls, settings: GatewaySettings, context: ProbeContext) -> LanProbe:
        return cls(settings)

    def collect(self) -> list[Sample]:
        now = self.clock()
        if not self.settings.lan_subnets or (
            self._next_sweep is not None and now < self._next_sweep
        ):
            return []
        self._next_sweep = now + self.settings.lan_sweep_seconds
        if not self.raw.allowed:
            return []
        swept: dict[str, tuple[list[LanHost], float]] = {}
        for subnet in self.settings.lan_subnets:
            started = time.perf_counter()
            try:
                found = self.sweeper(subnet, self.settings.lan_interface)
            except Exception as exc:  # one bad subnet (no route, interface gone) spares the rest
                self._limiter.log(
                    f"sweep:{subnet}", logging.WARNING, "ARP sweep of %s failed: %s", subnet, exc
                )
                continue
            vendors = OUI_VENDORS.vendors([mac for _ip, mac in found])  # one index pass a sweep
            hosts = [LanHost(ip, mac, v := vendors[mac], likely_kind(v)) for ip, mac in found]
            swept[subnet] = (hosts, time.perf_counter() - started)
        if not swept:
            return []
        seen = {h.mac: h for hosts, _ in swept.values() for h in hosts}
        self._track(seen)
        missing = len(self._reported_missing)
        samples = []
        for subnet, (hosts, seconds) in swept.items():
            values: dict[str, float | int | bool | str | None] = {
                "hosts_count": len(hosts),
                "sweep_seconds": round(seconds, 3),
                **{_count_field(k): sum(1 for h in hosts if h.kind == k) for k in KINDS},
            }
            if self.known:
                values.update(
                    known_count=sum(1 for h in hosts if h.mac in self.known),
                    unknown_count=sum(1 for h in hosts if h.mac not in self.known),
                    missing_count=missing,
                )
            samples.append(self.sample(values, instance=subnet))
        return samples

    def events(self) -> list[Event]:
        events, self._pending = self._pending, []
        return events

    def _track(self, seen: dict[str, LanHost]) -> None:
        """Update absence counts and queue an event for each change worth one."""
        self._last_seen.update((mac, host) for mac, host in seen.items() if mac in self.known)
        if not self.known:
            return
        for mac in sorted(self.known):
            if mac in seen:
                self._absent_sweeps[mac] = 0
                self._reported_missing.discard(mac)
                continue
            self._absent_sweeps[mac] += 1
            if (
                self._absent_sweeps[mac] >= self.settings.lan_missing_sweeps
                and mac not in self._reported_missing
            ):
                self._reported_missing.add(mac)
                last = self._last_seen.get(mac)
                vendor = last.vendor if last else vendor_of(mac)
                self._event(
                    "lan_host_missing",
                    "warning",
                    mac,
                    vendor,
                    likely_kind(vendor),
                    last.ip if last else "",
                )
        for mac, host in sorted(seen.items()):
            if mac in self.known or mac in self._reported_unknown or _randomised(mac):
                continue
            self._reported_unknown[mac] = None
            if len(self._reported_unknown) > MAX_REMEMBERED_UNKNOWN:
                del self._reported_unknown[next(iter(self._reported_unknown))]
            self._event("lan_host_unknown", "info", mac, host.vendor, host.kind, host.ip)

    def _event(self, kind: str, severity: str, mac: str, vendor: str, likely: str, ip: str) -> None:
        what = "missing" if kind == "lan_host_missing" else "new on the LAN"
        self._pending.append(
            Event(
                kind,
                {"mac": mac, "vendor": vendor, "likely_kind": likely, "ip": ip},
                severity=severity,
                message=f"{likely} {mac} ({vendor or 'unknown vendor'}) {what}",
            )
        )
