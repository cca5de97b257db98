"""Data budget on metered links (3G "Dcom" schools pay per megabyte).

When the uplink is metered (``[budget] metered = true``, or ``"auto"`` and
``probes.helpers.uplink_classify.classify_uplink()`` says cellular) the agent:

- reports every ``budget.interval_seconds`` (default 300) instead of ``device.interval_seconds``;
- sends nothing live: reports gather in the spool and leave as one ``batch`` message (a deflated
  JSON array, ``protocol/batch.py``) every ``batch_reports`` reports or ``batch_seconds``;
- drops the fields each probe declares optional (``Field(..., optional=True)``: the lean report
  keeps what the alerts, dashboards and planners read) and skips probes that spend data
  themselves (a probe class with ``uses_data = True``, such as a throughput test);
- uses a longer MQTT keepalive. Every keepalive period without other traffic costs a
  PINGREQ/PINGRESP (4 bytes of MQTT, 160 bytes on the wire with the TCP/IP headers and the TCP
  ACK, measured): every 20 s that is 20 MB a month for an always-on device, alone most of a
  school's 30 MB. The trade-off is how late the broker notices a device that vanished without
  closing its connection (power cut, dead link): 1.5 × keepalive. PCs use ``budget.keepalive``
  (default 600 s: a lab PC cut off is seen after 15 minutes, and a PC shut down normally says
  ``offline`` at once); the gateway, whose Last Will is the school-offline alert, uses
  ``budget.gateway_keepalive`` (default 60 s: the alert's input comes after ~90 s instead of
  ~30 s, well inside the alert rule's own 5-minute wait; ~6 MB a month);
- counts the bytes it sends and receives and reports them as the ``budget`` metric against its
  share of the school's monthly budget (``school_monthly_mb / school_devices``).

Its settings (``[budget]``) are in ``settings.py``; the ``budget`` metric in ``metrics.py``.

How bytes are counted (an estimate, checked against real packets by ``make bench-bytes``):
each PUBLISH is its MQTT packet (fixed header, topic, packet id, payload) plus its PUBACK
(4 bytes), each in TCP segments of at most 1448 bytes carrying 52 bytes of IPv4+TCP headers
(with the timestamp option Linux uses), plus one bare TCP ACK for the PUBACK; every
keepalive period one ping exchange (PINGREQ + PINGRESP + ACK). Connects are not counted (a
few a day). The month is the calendar month in UTC; the count is kept in the spool's
database, so it survives restarts.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from schoolnet_agent.delivery.settings import MB, BudgetSettings
from schoolnet_agent.protocol import Sample
from schoolnet_agent.protocol.topics import device_topic

if TYPE_CHECKING:
    from schoolnet_agent.delivery.spool import Spool
    from schoolnet_agent.delivery.transport import MqttTransport

log = logging.getLogger(__name__)

TCPIP_HEADER = 52  # IPv4 (20) + TCP (20) + timestamp option (12)
MSS = 1448  # payload of a full TCP segment on a 1500-byte MTU with timestamps
PUBACK = 4
PING_EXCHANGE = 2 + 2 + 3 * TCPIP_HEADER  # PINGREQ, PINGRESP, the ACK of the PINGRESP


def detect_metered(setting: str | bool, classify: Callable[[], Any] | None = None) -> bool:
    """The setting, or for ``"auto"`` what the kernel shows of the uplink in use."""
    if setting != "auto":
        return bool(setting)
    if classify is None:
        try:
            from schoolnet_agent.probes.helpers.uplink_classify import classify_uplink
        except ImportError:  # pragma: no cover - the classifier ships with the agent
            return False
        classify = classify_uplink
    try:
        info = classify()
    except Exception as exc:  # reading /proc or /sys failed: assume a fixed line, say so
        log.warning("cannot tell whether the uplink is metered (%r); assuming it is not", exc)
        return False
    if info.cellular:
        log.info("uplink %s is cellular (%s): metered mode", info.interface, info.reason)
    return bool(info.cellular)


def wire_bytes(topic: str, payload_len: int) -> int:
    """Estimated bytes on the wire, both directions, for one QoS 1 PUBLISH and its PUBACK."""
    remaining = 2 + len(topic.encode()) + 2 + payload_len
    mqtt_len = 1 + _varint_len(remaining) + remaining
    segments = max(1, math.ceil(mqtt_len / MSS))
    acks = segments // 2  # the peer ACKs every second full segment; the PUBACK carries the last
    return (
        mqtt_len
        + segments * TCPIP_HEADER
        + acks * TCPIP_HEADER
        + PUBACK
        + TCPIP_HEADER
        + TCPIP_HEADER
    )


def _varint_len(n: int) -> int:
    return 1 if n < 128 else 2 if n < 16384 else 3 if n < 2097152 else 4


class Budget:
    """Counts this device's bytes against its monthly share; decides when a batch is due."""

    def __init__(
        self,
        settings: BudgetSettings,
        *,
        metered: bool,
        keepalive: int,
        spool: Spool | None = None,
        wall: Callable[[], float] = time.time,
    ):
        self.settings = settings
        self.metered = metered
        self.keepalive = keepalive
        self.spool = spool
        self.wall = wall
        self._month, self._used = self._load()
        self._ping_from = wall()
        self._warned = False

    def _load(self) -> tuple[int, int]:
        month = self._month_of(self.wall())
        if self.spool is None:
            return month, 0
        saved_month = self.spool.meta("budget_month")
        used = self.spool.meta("budget_bytes") if saved_month == month else 0
        return month, used or 0

    @staticmethod
    def _month_of(t: float) -> int:
        g = time.gmtime(t)
        return g.tm_year * 100 + g.tm_mon

    def _roll(self) -> None:
        month = self._month_of(self.wall())
        if month != self._month:
            self._month, self._used, self._warned = month, 0, False

    def count_publish(
        self, info: Any, transport: MqttTransport, channel: str, device: str | None, payload: bytes
    ) -> None:
        self.count(
            wire_bytes(
                device_topic(transport.school, device or transport.device, channel), len(payload)
            )
        )

    def count(self, nbytes: int) -> None:
        self._roll()
        self._used += nbytes

    def _count_pings(self) -> None:
        """Keepalive exchanges since the last call, one per keepalive period (an upper bound:
        paho skips the ping when other packets went out)."""
        now = self.wall()
        pings = int((now - self._ping_from) // self.keepalive)
        if pings > 0:
            self.count(pings * PING_EXCHANGE)
            self._ping_from += pings * self.keepalive

    @property
    def used_bytes(self) -> int:
        self._roll()
        return self._used

    def save(self) -> None:
        if self.spool is not None:
            self.spool.set_meta("budget_month", self._month)
            self.spool.set_meta("budget_bytes", self._used)

    def pace(self) -> float:
        """How far ahead of an even spend over the month: 1 on or below pace, 2 if twice as
        fast. Batches are spaced out by this factor (fewer, larger, better compressed)."""
        g = time.gmtime(self.wall())
        days = _days_in_month(g.tm_year, g.tm_mon)
        elapsed = ((g.tm_mday - 1) * 86400 + g.tm_hour * 3600 + g.tm_min * 60 + g.tm_sec) / (
            days * 86400
        )
        share = self.used_bytes / max(self.settings.device_share_bytes, 1)
        return min(8.0, max(1.0, share / max(elapsed, 1 / 30)))

    def batch_size(self, limit: int) -> int:
        """Reports per batch: ``batch_reports``, grown by ``pace()`` while ahead of an even
        spend (fewer messages: less MQTT and TCP/IP overhead, better compression), at most
        ``limit``."""
        return max(1, min(limit, math.ceil(self.settings.batch_reports * self.pace())))

    def batch_due(self, pending: int, oldest_stored_ms: int, size: int) -> bool:
        """A batch goes out when ``size`` reports are waiting or the oldest has waited
        ``batch_seconds`` (stretched by ``pace()`` while over budget)."""
        if pending >= size:
            return True
        waited = self.wall() - oldest_stored_ms / 1000
        return waited >= self.settings.batch_seconds * self.pace()

    def sample(self) -> Sample:
        self._count_pings()
        self.save()
        allowed = self.settings.device_share_bytes
        used = self.used_bytes
        if self.metered and used > allowed and not self._warned:
            log.warning(
                "data budget exceeded: %.1f MB used of %.1f MB this month", used / MB, allowed / MB
            )
            self._warned = True
        return Sample(
            "budget",
            {
                "metered": int(self.metered),
                "used_bytes": used,
                "allowed_bytes": allowed,
                "used_percent": round(100.0 * used / max(allowed, 1), 2),
                "keepalive_seconds": self.keepalive,
            },
        )


def _days_in_month(year: int, month: int) -> int:
    import calendar

    return calendar.monthrange(year, month)[1]


def lean(samples: Iterable[Sample], optional: Mapping[str, frozenset[str]]) -> list[Sample]:
    """The samples without their optional fields (``optional``: probe name → the fields its
    ``Field`` declarations mark optional); a sample left empty is dropped."""
    out = []
    for s in samples:
        drop = optional.get(s.name)
        if drop:
            s = Sample(s.name, {k: v for k, v in s.fields.items() if k not in drop}, s.instance)
        if s.fields:
            out.append(s)
    return out
