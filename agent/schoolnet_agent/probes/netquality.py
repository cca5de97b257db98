"""Network quality seen from the school: ICMP, DNS and TCP timings, and an optional speed test.

Runs on its own interval (``quality_interval_seconds``, default every minute) and returns
nothing in between. Its time is bounded: all echoes go out in one scapy call (``icmp.ping``),
name resolution is given ``DNS_TIMEOUT_SECONDS``, the TCP connect to the broker
``TCP_TIMEOUT_SECONDS``, so a dead link costs at most a few seconds, never a missed report.

Targets are the broker host by default (``[gateway] ping_targets`` replaces the list), and the
LAN gateway when ``ping_lan_gateway = true``. When the ``uplink`` probe runs too, it alone pings
the broker host (its ``rtt_ms``/``loss_percent``): on 3G every echo is paid for. Without
CAP_NET_RAW the ICMP fields are left out and DNS and TCP timings are still measured.

The throughput test downloads and uploads ``speedtest_bytes`` against the collector's
``/api/v1/speedtest`` endpoints. It is off unless ``speedtest_url`` is set, runs at most every
``speedtest_interval_seconds`` (default once a day), and not on a cellular uplink unless
``speedtest_on_cellular = true``: on 3G every megabyte is paid for.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, TimeoutError as FutureTimeout
from typing import Any, cast

from schoolnet_agent.probes.base import Field, Probe, ProbeContext
from schoolnet_agent.probes.helpers.icmp import PingResult, ping, resolve
from schoolnet_agent.probes.helpers.rawsocket import RAW_ACCESS, RawSocketAccess
from schoolnet_agent.probes.helpers.uplink_classify import classify_uplink
from schoolnet_agent.protocol import Sample
from schoolnet_agent.settings.gateway import GatewaySettings
from schoolnet_agent.util.logonce import LogLimiter

log = logging.getLogger(__name__)

DNS_TIMEOUT_SECONDS = 2.0
TCP_TIMEOUT_SECONDS = 3.0
SPEEDTEST_TIMEOUT_SECONDS = 60.0
_resolver = ThreadPoolExecutor(max_workers=2, thread_name_prefix="dns")


class NetQualityProbe(Probe):
    name = "netquality"
    description = (
        "Round trip, jitter and loss (ICMP), DNS and TCP connect times, and an optional "
        "throughput test; gateway only, on its own interval."
    )
    instance = (
        "target: `broker` (the MQTT broker host), `lan_gateway`, a configured host name or "
        "address, `speedtest`"
    )
    fields = (
        Field(
            "rtt_ms",
            "ms",
            "average ICMP round trip (for `broker` only without the `uplink` "
            "probe, which measures it)",
        ),
        Field("rtt_min_ms", "ms", "fastest round trip"),
        Field("rtt_max_ms", "ms", "slowest round trip"),
        Field("jitter_ms", "ms", "mean difference between consecutive round trips"),
        Field("loss_percent", "percent", "echoes without an answer"),
        Field("resolves", "bool", "the target's name resolved (names only, not addresses)"),
        Field("dns_ms", "ms", "time to resolve the target's name"),
        Field("tcp_ok", "bool", "broker: a TCP connection to the MQTT port opened"),
        Field("tcp_connect_ms", "ms", "broker: time to open a TCP connection to the MQTT port"),
        Field("download_bps", "bps", "speedtest: download throughput from the collector"),
        Field("upload_bps", "bps", "speedtest: upload throughput to the collector"),
    )
    settings_model = GatewaySettings

    def __init__(
        self,
        settings: GatewaySettings | None = None,
        broker_host: str | None = None,
        broker_port: int = 1883,
        *,
        broker_icmp: bool = True,
        root: str = "/",
        clock: Callable[[], float] = time.monotonic,
        raw: RawSocketAccess = RAW_ACCESS,
        pinger: Callable[..., dict[str, PingResult]] = ping,
    ):
        self.settings = settings or GatewaySettings()
        self.broker_host, self.broker_port = broker_host, broker_port
        self.broker_icmp = broker_icmp
        self.root = root
        self.clock = clock
        self.raw = raw
        self.pinger = pinger
        self._next_quality: float | None = None
        self._next_speedtest: float | None = None
        self._limiter = LogLimiter(log)

    @classmethod
    def from_settings(cls, settings: GatewaySettings, context: ProbeContext) -> NetQualityProbe:
        # The uplink probe already pings the broker host: its echoes are not sent twice.
        return cls(
            settings,
            context.broker_host,
            context.broker_port,
            broker_icmp="uplink" not in context.enabled,
        )

    def targets(self) -> list[tuple[str, str]]:
        """(instance, host) pairs; the LAN gateway's host is the default route's next hop."""
        hosts = self.settings.ping_targets or ([self.broker_host] if self.broker_host else [])
        pairs = [("broker" if h == self.broker_host else h, h) for h in hosts]
        if self.settings.ping_lan_gateway:
            gateway = classify_uplink(self.root).gateway
            if gateway:
                pairs.append(("lan_gateway", gateway))
        return pairs

    def collect(self) -> list[Sample]:
        now = self.clock()
        samples = []
        if self._next_quality is None or now >= self._next_quality:
            self._next_quality = now + self.settings.quality_interval_seconds
            samples += self._quality()
        if self._speedtest_due(now):
            try:
                samples += self._speedtest()
            except (OSError, ValueError) as exc:  # URLError and HTTPError are OSErrors
                self._limiter.log(
                    "speedtest",
                    logging.WARNING,
                    "speed test against %s failed: %s",
                    self.settings.speedtest_url,
                    exc,
                )
        return samples

    def _quality(self) -> list[Sample]:
        values: dict[str, dict[str, Any]] = {}
        addresses: dict[str, str] = {}
        for instance, host in self.targets():
            v: dict[str, Any] = {}
            values[instance] = v
            icmp = self.broker_icmp or host != self.broker_host
            if _is_address(host):
                if icmp:
                    addresses[instance] = host
                continue
            started = time.perf_counter()
            address = _resolve_within(host, DNS_TIMEOUT_SECONDS)
            v["resolves"] = address is not None
            if address is not None:
                v["dns_ms"] = round((time.perf_counter() - started) * 1000.0, 3)
                if icmp:
                    addresses[instance] = address
        if self.broker_host and "broker" in values:
            values["broker"].update(_tcp_connect(self.broker_host, self.broker_port))
        if addresses and self.raw.allowed:
            results = self.pinger(
                sorted(set(addresses.values())),
                self.settings.ping_count,
                self.settings.ping_timeout_seconds,
            )
            for instance, address in addresses.items():
                r = results[address]
                values[instance].update(
                    rtt_ms=r.rtt_avg_ms,
                    rtt_min_ms=r.rtt_min_ms,
                    rtt_max_ms=r.rtt_max_ms,
                    jitter_ms=r.jitter_ms,
                    loss_percent=r.loss_percent,
                )
        return [self.sample(v, instance=i[:128]) for i, v in values.items() if v]

    def _speedtest_due(self, now: float) -> bool:
        s = self.settings
        if not s.speedtest_url or (self._next_speedtest is not None and now < self._next_speedtest):
            return False
        self._next_speedtest = now + s.speedtest_interval_seconds
        return s.speedtest_on_cellular or not classify_uplink(self.root).cellular

    def _speedtest(self) -> list[Sample]:
        base = cast(str, self.settings.speedtest_url).rstrip("/")  # due only when it is set
        size = self.settings.speedtest_bytes
        auth = (
            {"Authorization": f"Bearer {self.settings.speedtest_token}"}
            if self.settings.speedtest_token
            else {}
        )
        started = time.perf_counter()
        with urllib.request.urlopen(
            urllib.request.Request(f"{base}/download?bytes={size}", headers=auth),
            timeout=SPEEDTEST_TIMEOUT_SECONDS,
        ) as response:
            received = 0
            while chunk := response.read(65536):
                received += len(chunk)
        download = received * 8 / max(time.perf_counter() - started, 1e-6)
        request = urllib.request.Request(
            f"{base}/upload",
            data=bytes(size),
            method="POST",
            headers={"Content-Type": "application/octet-stream", **auth},
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=SPEEDTEST_TIMEOUT_SECONDS) as response:
            response.read()
        upload = size * 8 / max(time.perf_counter() - started, 1e-6)
        return [
            self.sample(
                {"download_bps": round(download, 1), "upload_bps": round(upload, 1)},
                instance="speedtest",
            )
        ]


def _is_address(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
        return True
    except ValueError:
        return False


def _resolve_within(host: str, timeout: float) -> str | None:
    """The system resolver has its own, long retry timeouts: wait for it only ``timeout``."""
    future = _resolver.submit(resolve, host)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        return None


def _tcp_connect(host: str, port: int) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=TCP_TIMEOUT_SECONDS):
            elapsed = time.perf_counter() - started
    except OSError:
        return {"tcp_ok": False}
    return {"tcp_ok": True, "tcp_connect_ms": round(elapsed * 1000.0, 3)}
