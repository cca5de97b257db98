"""The school's internet uplink: which line is in use, its ISP, its traffic and its health.

Many schools have two lines (VNPT and Viettel, one as failover) or a USB 3G modem; the
provincial staff need to see which one a school is on right now and when it changed. Each
collection classifies the default route (``uplink_classify``), matches it to the school's
configured lines (``[gateway] lines``: interface or next-hop → ISP, type, line rate), and
compares with the previous collection: a change is an ``uplink_changed`` event
(failover, failback, link_lost, link_back), sent once on the events channel.

``up`` follows the kernel (a default route on an interface that is not down): a ping that gets
no answer may mean the collector is down, not the line, and must not page 640 schools at once;
``loss_percent`` (to the broker host) shows the rest. Traffic comes from the interface's
counters, so it costs nothing on a metered link.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from schoolnet_agent.probes.base import Field, Probe, ProbeContext
from schoolnet_agent.probes.helpers.icmp import PingResult, ping, resolve
from schoolnet_agent.probes.helpers.modem import ModemReader
from schoolnet_agent.probes.helpers.rawsocket import RAW_ACCESS, RawSocketAccess
from schoolnet_agent.probes.helpers.uplink_classify import UplinkInfo, classify_uplink
from schoolnet_agent.protocol import Event, Sample
from schoolnet_agent.settings.gateway import GatewaySettings, UplinkLine

SEVERITY = {"failover": "warning", "link_lost": "critical", "failback": "info", "link_back": "info"}


@dataclass(frozen=True)
class LinkState:
    type: str
    isp: str
    interface: str
    rank: int  # 0 = the primary line; higher = further down the list of fallbacks


class UplinkProbe(Probe):
    name = "uplink"
    description = (
        "The school's internet uplink in use (default route), its ISP and traffic; "
        "gateway only. A change sends an `uplink_changed` event."
    )
    event_data: ClassVar[dict[str, tuple[Field, ...]]] = {
        "uplink_changed": (
            Field("from_type", "text", "the line's type before: fibre, dsl, ..., none"),
            Field("to_type", "text", "the line's type now"),
            Field("from_isp", "text", "the ISP before (empty when none)"),
            Field("to_isp", "text", "the ISP now"),
            Field("from_interface", "text", "the interface before"),
            Field("to_interface", "text", "the interface now"),
            Field("reason", "text", "failover, failback, link_lost or link_back"),
        )
    }
    fields = (
        Field(
            "type",
            "text",
            "`fibre`, `dsl`, `ethernet`, `cellular` or `none` (configured line "
            "type, else what the kernel shows)",
        ),
        Field(
            "isp",
            "text",
            "ISP of the line in use (configured; for an unconfigured modem the operator)",
        ),
        Field("interface", "text", "interface of the default route"),
        Field("fixed", "bool", "a fixed line (fibre, DSL, Ethernet) is in use"),
        Field("cellular", "bool", "a cellular modem is in use (metered)"),
        Field("up", "bool", "a default route exists on an interface that is not down"),
        Field("failover", "bool", "the school runs on a line other than its first configured one"),
        Field(
            "rtt_ms",
            "ms",
            "average ICMP round trip to the broker host, every "
            "`quality_interval_seconds` (needs CAP_NET_RAW)",
        ),
        Field("rtt_min_ms", "ms", "fastest round trip to the broker host"),
        Field("rtt_max_ms", "ms", "slowest round trip to the broker host"),
        Field("jitter_ms", "ms", "mean difference between consecutive round trips"),
        Field("loss_percent", "percent", "echoes to the broker host without an answer"),
        Field("bandwidth_in_bps", "bps", "received on the uplink interface since the last report"),
        Field("bandwidth_out_bps", "bps", "sent on the uplink interface since the last report"),
        Field("rate_bps", "bps", "configured line rate"),
        Field("utilisation_percent", "percent", "the busier direction against the line rate"),
        Field("access_tech", "text", "cellular: `GSM`, `UMTS`, `LTE` or `5G` (ModemManager)"),
        Field("signal_percent", "percent", "cellular: signal quality 0-100 (ModemManager)"),
        Field("operator", "text", "cellular: network operator (ModemManager)"),
    )
    settings_model = GatewaySettings

    def __init__(
        self,
        settings: GatewaySettings | None = None,
        broker_host: str | None = None,
        *,
        root: str = "/",
        clock: Callable[[], float] = time.monotonic,
        modem: ModemReader | None = None,
        raw: RawSocketAccess = RAW_ACCESS,
        pinger: Callable[..., dict[str, PingResult]] = ping,
    ):
        self.settings = settings or GatewaySettings()
        self.broker_host = broker_host
        self.root = root
        self.clock = clock
        self.modem = modem or ModemReader()
        self.raw = raw
        self.pinger = pinger
        self._previous: LinkState | None = None
        self._counters: tuple[str, float, int, int] | None = None
        self._next_ping: float | None = None
        self._pending: list[Event] = []

    @classmethod
    def from_settings(cls, settings: GatewaySettings, context: ProbeContext) -> UplinkProbe:
        return cls(settings, context.broker_host)

    def collect(self) -> list[Sample]:
        if not os.path.exists(os.path.join(self.root, "proc/net/route")):
            return []  # not Linux (a Windows PC with a modem): no route table to read, no guess
        info = classify_uplink(self.root)
        line, rank = self._match(info)
        kind = "none" if info.interface is None else (line.type if line else info.type)
        values: dict[str, Any] = {
            "type": kind,
            "fixed": kind in ("fibre", "dsl", "ethernet"),
            "cellular": kind == "cellular",
            "up": False,
            "failover": False,
        }
        isp = line.isp if line else None
        if info.interface is not None:
            values.update(
                interface=info.interface,
                up=info.operstate != "down",
                failover=bool(self.settings.lines) and rank > 0,
            )
            if kind == "cellular":
                isp = self._add_modem(values, isp)
            self._add_traffic(values, info.interface, line)
            self._add_ping(values)
        values["isp"] = isp
        self._note_change(
            LinkState(kind if values["up"] else "none", isp or "", info.interface or "", rank)
        )
        return [self.sample(values)]

    def events(self) -> list[Event]:
        events, self._pending = self._pending, []
        return events

    def _match(self, info: UplinkInfo) -> tuple[UplinkLine | None, int]:
        """The configured line in use (by interface, else by next hop) and its place in the list;
        an unconfigured uplink ranks after every configured one, a cellular one last."""
        lines = self.settings.lines
        for i, line in enumerate(lines):
            if line.interface is not None and line.interface == info.interface:
                return line, i
        for i, line in enumerate(lines):
            if line.gateway is not None and line.gateway == info.gateway:
                return line, i
        return None, len(lines) + (1 if info.cellular else 0)

    def _add_modem(self, values: dict[str, Any], isp: str | None) -> str | None:
        status = self.modem.read()
        if status is None:
            return isp
        values.update(
            access_tech=status.access_tech,
            signal_percent=status.signal_percent,
            operator=status.operator,
        )
        return isp or status.operator

    def _add_traffic(self, values: dict[str, Any], interface: str, line: UplinkLine | None) -> None:
        stats = os.path.join(self.root, "sys/class/net", interface, "statistics")
        try:
            with (
                open(os.path.join(stats, "rx_bytes")) as rx,
                open(os.path.join(stats, "tx_bytes")) as tx,
            ):
                rx_bytes, tx_bytes = int(rx.read()), int(tx.read())
        except (OSError, ValueError):
            return
        now = self.clock()
        previous, self._counters = self._counters, (interface, now, rx_bytes, tx_bytes)
        if line and line.rate_mbps:
            values["rate_bps"] = line.rate_mbps * 1e6
        if previous is None or previous[0] != interface or now <= previous[1]:
            return
        seconds = now - previous[1]
        rx_delta, tx_delta = rx_bytes - previous[2], tx_bytes - previous[3]
        if rx_delta < 0 or tx_delta < 0:  # counters reset (interface re-created)
            return
        values["bandwidth_in_bps"] = round(rx_delta * 8 / seconds, 1)
        values["bandwidth_out_bps"] = round(tx_delta * 8 / seconds, 1)
        if "rate_bps" in values:
            busier = max(values["bandwidth_in_bps"], values["bandwidth_out_bps"])
            values["utilisation_percent"] = round(100.0 * busier / values["rate_bps"], 2)

    def _add_ping(self, values: dict[str, Any]) -> None:
        """Echoes to the broker host every ``quality_interval_seconds``: on 3G each costs bytes
        (5 echoes and replies of 28 bytes a minute are 12 MB a month at the IP layer), so they
        are not sent twice (``netquality`` leaves the broker to this probe) nor more often."""
        now = self.clock()
        if not self.broker_host or (self._next_ping is not None and now < self._next_ping):
            return
        self._next_ping = now + self.settings.quality_interval_seconds
        if not self.raw.allowed:
            return
        address = resolve(self.broker_host)
        if address is None:
            return
        result = self.pinger(
            [address], self.settings.ping_count, self.settings.ping_timeout_seconds
        )[address]
        values.update(
            rtt_ms=result.rtt_avg_ms,
            rtt_min_ms=result.rtt_min_ms,
            rtt_max_ms=result.rtt_max_ms,
            jitter_ms=result.jitter_ms,
            loss_percent=result.loss_percent,
        )

    def _note_change(self, state: LinkState) -> None:
        before, self._previous = self._previous, state
        if before is None or (before.type, before.isp, before.interface) == (
            state.type,
            state.isp,
            state.interface,
        ):
            return
        if state.type == "none":
            reason = "link_lost"
        elif before.type == "none":
            reason = "link_back"
        else:
            reason = "failover" if state.rank > before.rank else "failback"
        self._pending.append(
            Event(
                "uplink_changed",
                {
                    "from_type": before.type,
                    "to_type": state.type,
                    "from_isp": before.isp,
                    "to_isp": state.isp,
                    "from_interface": before.interface,
                    "to_interface": state.interface,
                    "reason": reason,
                },
                severity=SEVERITY[reason],
                message=f"uplink {_named(before)} -> {_named(state)}: {reason}",
            )
        )


def _named(state: LinkState) -> str:
    return (
        f"{state.type} ({state.isp}, {state.interface})"
        if state.isp
        else f"{state.type} ({state.interface})"
        if state.interface
        else state.type
    )
