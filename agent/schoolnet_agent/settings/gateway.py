"""The ``[gateway]`` section: what a school's gateway agent needs to know about its network.

Only the gateway probes (``uplink``, ``netquality``, ``lan``) read it. The kernel cannot tell a
fibre line from DSL behind an Ethernet port, nor which ISP sells it, so the school's lines are
configured (interface or next-hop address → ISP, type, line rate). Nothing here has a default
address: ping targets default to the configured broker host, the LAN sweep to no subnet, and
the LAN gateway (the default route's next hop) is pinged only when ``ping_lan_gateway = true``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, ClassVar

from schoolnet_agent.settings.checks import Boolean, Check, Integer, Invalid, Number, Text, shown

LINE_TYPES = ("fibre", "dsl", "ethernet", "cellular")
MAX_SWEEP_ADDRESSES = 1024  # a /22: a classroom subnet is a /24; more would outrun the budget
MAX_SPEEDTEST_BYTES = 50_000_000


@dataclass(frozen=True)
class UplinkLine:
    """One of the school's internet lines, matched by ``interface`` or by next-hop ``gateway``."""

    isp: str
    type: str
    interface: str | None = None
    gateway: str | None = None
    rate_mbps: float | None = None

    @property
    def cellular(self) -> bool:
        return self.type == "cellular"


class Lines(Check):
    """``lines = [{interface = "eth0", isp = "VNPT", type = "fibre", rate_mbps = 100}, ...]``;
    in the environment, the same as a JSON list."""

    expected = (
        "a list of tables {isp, type (fibre|dsl|ethernet|cellular), interface or gateway, "
        "rate_mbps}"
    )
    KEYS = ("isp", "type", "interface", "gateway", "rate_mbps")

    def parse_env(self, text: str) -> Any:
        import json

        try:
            return json.loads(text)
        except ValueError:
            return text

    def check(self, value: Any) -> list[UplinkLine]:
        if not isinstance(value, list):
            raise Invalid()
        lines = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise Invalid(f"; line {i + 1} is {shown(item)}")
            unknown = sorted(set(item) - set(self.KEYS))
            if unknown:
                raise Invalid(f"; line {i + 1} has unknown key {unknown[0]!r}")
            isp, kind = item.get("isp"), item.get("type")
            if not isinstance(isp, str) or not isp.strip():
                raise Invalid(f'; line {i + 1} needs isp (e.g. "VNPT")')
            if kind not in LINE_TYPES:
                raise Invalid(
                    f"; line {i + 1} type {shown(kind)} is not one of {', '.join(LINE_TYPES)}"
                )
            iface, gw = item.get("interface"), item.get("gateway")
            if iface is None and gw is None:
                raise Invalid(f"; line {i + 1} needs interface or gateway")
            if iface is not None and (not isinstance(iface, str) or not iface.strip()):
                raise Invalid(f"; line {i + 1} interface {shown(iface)}")
            if gw is not None:
                try:
                    gw = str(ipaddress.IPv4Address(gw))
                except (ValueError, TypeError):
                    raise Invalid(
                        f"; line {i + 1} gateway {shown(gw)} is not an IPv4 address"
                    ) from None
            rate = item.get("rate_mbps")
            if rate is not None and (
                isinstance(rate, bool)
                or not isinstance(rate, (int, float))
                or not 0 < rate <= 100_000
            ):
                raise Invalid(f"; line {i + 1} rate_mbps {shown(rate)} is not a number 0-100000")
            lines.append(
                UplinkLine(isp.strip(), kind, iface, gw, float(rate) if rate is not None else None)
            )
        return lines


class Strings(Check):
    """A list of non-empty strings (host names, addresses); comma-separated in the environment."""

    expected = "a list of host names or addresses"

    def parse_env(self, text: str) -> Any:
        return [part.strip() for part in text.split(",") if part.strip()]

    def check(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise Invalid()
        return [v.strip() for v in value]


class Subnets(Strings):
    expected = f'a list of IPv4 subnets of at most {MAX_SWEEP_ADDRESSES} addresses ("10.1.2.0/24")'

    def check(self, value: Any) -> list[str]:
        out = []
        for text in super().check(value):
            try:
                net = ipaddress.IPv4Network(text, strict=False)
            except ValueError:
                raise Invalid(f"; {text!r} is not an IPv4 subnet") from None
            if net.num_addresses > MAX_SWEEP_ADDRESSES:
                raise Invalid(f"; {text!r} has {net.num_addresses} addresses") from None
            out.append(str(net))
        return out


class Macs(Strings):
    expected = 'a list of MAC addresses ("aa:bb:cc:dd:ee:ff")'

    def check(self, value: Any) -> list[str]:
        out = []
        for text in super().check(value):
            mac = normalise_mac(text)
            if mac is None:
                raise Invalid(f"; {text!r} is not a MAC address")
            out.append(mac)
        return out


class Url(Text):
    expected = "an http:// or https:// URL"

    def check(self, value: Any) -> str:
        if (
            not isinstance(value, str)
            or not value.startswith(("http://", "https://"))
            or len(value) < 10
        ):
            raise Invalid()
        return value


def normalise_mac(text: str) -> str | None:
    """``AA-BB-CC-DD-EE-FF``, ``aabb.ccdd.eeff`` → ``aa:bb:cc:dd:ee:ff``; None if not a MAC."""
    digits = "".join(c for c in text.lower() if c not in ":-.")
    if len(digits) != 12 or any(c not in "0123456789abcdef" for c in digits):
        return None
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


@dataclass
class GatewaySettings:
    lines: list[UplinkLine] = field(default_factory=list)
    ping_targets: list[str] = field(default_factory=list)  # empty: the broker host
    ping_count: int = 5
    ping_timeout_seconds: float = 1.0
    ping_lan_gateway: bool = False  # opt-in: the next hop is a real router on the school's LAN
    quality_interval_seconds: float = 60.0
    lan_subnets: list[str] = field(default_factory=list)
    lan_interface: str | None = None
    lan_sweep_seconds: float = 600.0
    lan_known_macs: list[str] = field(default_factory=list)
    lan_missing_sweeps: int = 2
    speedtest_url: str | None = (
        None  # the collector API, e.g. "https://collector:8000/api/v1/speedtest"
    )
    speedtest_token: str | None = (
        None  # an API token of the school (the API refuses callers without one)
    )
    speedtest_bytes: int = 1_000_000
    speedtest_interval_seconds: float = 86400.0
    speedtest_on_cellular: bool = False

    KEYS: ClassVar[dict[str, Check]] = {
        "lines": Lines(),
        "ping_targets": Strings(),
        "ping_count": Integer(1, 500),
        "ping_timeout_seconds": Number(0.1, 10),
        "ping_lan_gateway": Boolean(),
        "quality_interval_seconds": Number(10, 86400),
        "lan_subnets": Subnets(),
        "lan_interface": Text(),
        "lan_sweep_seconds": Number(60, 86400),
        "lan_known_macs": Macs(),
        "lan_missing_sweeps": Integer(1, 100),
        "speedtest_url": Url(),
        "speedtest_token": Text(),
        "speedtest_bytes": Integer(1000, MAX_SPEEDTEST_BYTES),
        "speedtest_interval_seconds": Number(600, 30 * 86400),
        "speedtest_on_cellular": Boolean(),
    }
