"""ICMP echo to several targets at once with scapy: round-trip min/avg/max, jitter, loss.

All echoes of one measurement go out in one ``sr()`` call, spaced by ``spacing`` seconds (closer
when there are so many that sending would take over ``MAX_SEND_SECONDS``), and the call waits
``timeout`` after the last one: a measurement takes at most ``MAX_SEND_SECONDS + timeout``
whatever the network does, so a probe stays inside its budget on a dead link. scapy is imported here, on first use, so only a gateway loads it.
"""

from __future__ import annotations

import itertools
import os
import socket
import statistics
from dataclasses import dataclass

from schoolnet_agent.probes.helpers.rawsocket import free_packets, import_scapy_lean

DEFAULT_SPACING_SECONDS = 0.02
MAX_SEND_SECONDS = 2.0
_ids = itertools.count((os.getpid() * 7) & 0xFFFF)


@dataclass(frozen=True)
class PingResult:
    sent: int
    received: int
    rtt_min_ms: float | None = None
    rtt_avg_ms: float | None = None
    rtt_max_ms: float | None = None
    jitter_ms: float | None = None

    @property
    def loss_percent(self) -> float:
        return round(100.0 * (self.sent - self.received) / self.sent, 2) if self.sent else 100.0


def summarise(sent: int, rtts_ms: list[float]) -> PingResult:
    """Jitter is the mean difference between consecutive round trips (as RFC 3550 smooths it),
    which is what makes a video lesson stutter; the spread min..max is reported beside it."""
    if not rtts_ms:
        return PingResult(sent, 0)
    jitter = (
        statistics.fmean(abs(b - a) for a, b in itertools.pairwise(rtts_ms))
        if len(rtts_ms) > 1
        else 0.0
    )
    return PingResult(
        sent,
        len(rtts_ms),
        round(min(rtts_ms), 3),
        round(statistics.fmean(rtts_ms), 3),
        round(max(rtts_ms), 3),
        round(jitter, 3),
    )


def resolve(host: str) -> str | None:
    """The IPv4 address of ``host`` (an address stays itself); None if it does not resolve."""
    try:
        address: str = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_RAW)[0][4][0]  # type: ignore[assignment]  # AF_INET: (host, port), host a str
        return address
    except (OSError, IndexError, UnicodeError):
        return None


def ping(
    addresses: list[str], count: int, timeout: float, spacing: float = DEFAULT_SPACING_SECONDS
) -> dict[str, PingResult]:
    """Echo ``count`` times to each IPv4 address; needs CAP_NET_RAW (see ``rawsocket``)."""
    try:
        rtts = _round_trips(addresses, count, timeout, spacing)
    finally:
        free_packets()  # the packets of _round_trips are unreachable now
    return {addr: summarise(count, [rtt for _seq, rtt in sorted(rtts[addr])]) for addr in addresses}


def _round_trips(
    addresses: list[str], count: int, timeout: float, spacing: float
) -> dict[str, list[tuple[int, float]]]:
    """(echo seq, round trip in ms) of each answered echo, per address."""
    import_scapy_lean()
    from scapy.config import conf
    from scapy.layers.inet import ICMP, IP
    from scapy.sendrecv import sr

    conf.verb = 0
    conf.route.resync()  # scapy reads the routes once at import; a failover changes them
    ident = next(_ids) & 0xFFFF
    packets = [
        IP(dst=addr) / ICMP(id=ident, seq=seq)
        for seq in range(count)
        for addr in dict.fromkeys(addresses)
    ]
    spacing = min(spacing, MAX_SEND_SECONDS / len(packets)) if packets else spacing
    answered, _unanswered = sr(packets, timeout=timeout, inter=spacing, verbose=0)
    rtts: dict[str, list[tuple[int, float]]] = {addr: [] for addr in addresses}
    for sent, received in answered:
        addr = sent[IP].dst
        if addr in rtts:
            rtts[addr].append((sent[ICMP].seq, (received.time - sent.sent_time) * 1000.0))  # type: ignore[operator]  # scapy stamps: EDecimal or float, both subtract
    return rtts
