"""The newest values of the few fields alert rules read, kept from ingest.

Rules must not query InfluxDB per device every few seconds (15,000 devices). Ingest calls
``LatestReadings.observe`` for each accepted message; it keeps only the watched fields in
memory and ``flush`` upserts them into ``device_readings`` once a second. The table is shared
because collectors under one ``$share`` group each receive only part of a device's reports; the
upsert keeps the later reading when two collectors flush the same field out of order.

Names stored (docs/protocol.md, "Names other parts depend on"):
``uplink.<field>`` (``type`` and ``isp`` as text), ``disk.used_percent:<instance>``,
``projector.<field>``, ``inventory.smart_failed_count``, and the newest event of each watched
type: ``event.uplink_changed`` (text: the new type and reason), ``event.lan_host_unknown:<mac>``.

**Rises of counters.** A rule may declare cumulative counters it reads the rises of
(``Rule.counters``: ``spool.dropped_total``): the newest value alone cannot say "it went up".
This collector remembers each device's last value and stores a rise as
``rise.<metric>.<field>`` (value: by how much, at: when it was seen). The first value seen after
a start only sets the baseline, and a counter that goes down (a new spool) sets it again. A
counter that reads 0 is recognised in the bytes (``"dropped_total":0``) without parsing, so
every report carrying one costs a byte search, not a parse.

**Every channel, each reading at its own time.** A metered gateway (3G) sends its reports late,
several at once, on the ``batch`` channel; ingest hands the reports it accepted from a batch to
``observe_reports``, which notes each exactly as a lone report, at the time the report says it
was taken (``ts``, never later than its arrival: a device's clock must not make a reading
newer than it is). A live report is noted at its arrival, as is everything from a device whose
clock may be wrong; a lone report marked ``backfill`` is late too and is noted at its ``ts``.
The newest reading of a field wins, here and in the registry's upsert, so a late item never
overwrites a newer reading, and a counter value older than the last one seen is no rise.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import orjson
from sqlalchemy import case
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from schoolnet_agent.protocol import EVENTS, INVENTORY, TELEMETRY
from schoolnet_collector.alerting.rules import RULES
from schoolnet_collector.registry.alerting_models import DeviceReading
from schoolnet_collector.registry.db import upsert

log = logging.getLogger("schoolnet.alerting")

MAX_NAME = 127  # device_readings.name
MAX_TEXT = 256
# PostgreSQL refuses NUL in text; the other control characters have no place in a reading.
_CONTROLS = str.maketrans(dict.fromkeys((*range(32), 127), " "))

UPLINK_NUMBERS = ("up", "failover", "rtt_ms", "loss_percent", "fixed", "cellular")
UPLINK_TEXTS = ("type", "isp")
PROJECTOR_NUMBERS = ("lamp_hours", "lamp_rated_hours", "error", "power_on")
# Cheap byte tests before parsing: most reports (PC cpu/memory) carry none of these.
_TELEMETRY_MARKS = (b'"uplink"', b'"disk"', b'"projector"')
_EVENT_MARKS = (b'"uplink_changed"', b'"lan_host_unknown"')
_WATCHED_METRICS = frozenset({"uplink", "disk", "projector"})


Reading = tuple[str, float | None, str | None]
"""A watched field's name (``uplink.up``, ``disk.used_percent:/``…), its number, its text."""


class Counter:
    """A cumulative counter ``<metric>.<field>`` whose rises a rule reads."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.metric, _, self.field = name.partition(".")
        self.mark = f'"{self.field}":'.encode()
        self.zero = (f'"{self.field}":0,'.encode(), f'"{self.field}":0}}'.encode())

    def is_zero(self, payload: bytes) -> bool:
        return any(z in payload for z in self.zero)


def declared_counters() -> tuple[str, ...]:
    """Every counter a registered rule reads the rises of."""
    return tuple(sorted({c for cls in RULES.classes().values() for c in cls.counters}))


class LatestReadings:
    def __init__(self, counters: tuple[str, ...] | None = None) -> None:
        # (school, device, name) → (value, text, received ms): the hot path makes no datetimes.
        self._pending: dict[tuple[str, str, str], tuple[float | None, str | None, int]] = {}
        self._lock = threading.Lock()
        self.errors = 0
        names = declared_counters() if counters is None else counters
        self.counters = tuple(Counter(n) for n in names)
        # a counter's last value per device, and when it was taken (ms)
        self._last: dict[tuple[str, str, str], tuple[float, int]] = {}
        self.dropped = 0  # readings the registry refused (flush)

    # -- ingest side ------------------------------------------------------------------------
    def observe(self, topic: str, payload: bytes, received_ms: int) -> None:
        """Note the watched fields of one accepted message. Never raises: a problem here must
        not cost ingest the message (it was already validated and converted)."""
        try:
            self._observe(topic, payload, received_ms)
        except Exception:
            self.errors += 1
            if self.errors <= 10:
                log.exception("could not note readings from %s", topic)

    def observe_reports(
        self, topic: str, reports: Iterable[tuple[str, dict[str, Any]]], received_ms: int
    ) -> None:
        """Note the watched fields of the reports ingest accepted from one ``batch`` message
        (``(channel, report)``, oldest first), each at its own ``ts``. Never raises."""
        try:
            _, _, school, device, _ = topic.split("/")
            for channel, report in reports:
                at = _taken_ms(report, received_ms)
                self._note(school, device, channel, report, at, list(self.counters))
        except Exception:
            self.errors += 1
            if self.errors <= 10:
                log.exception("could not note readings from a batch on %s", topic)

    def _observe(self, topic: str, payload: bytes, received_ms: int) -> None:
        # The topic was checked by the converter already: schoolnet/v1/<school>/<device>/<channel>.
        _, _, school, device, channel = topic.split("/")
        marks: tuple[bytes, ...]
        if channel == TELEMETRY:
            marks = _TELEMETRY_MARKS
        elif channel == EVENTS:
            marks = _EVENT_MARKS
        elif channel == INVENTORY:
            marks = (b'"smart_failed_count"',)
        else:
            return
        counted = (
            self._counters_to_read(school, device, payload, received_ms)
            if channel == TELEMETRY
            else []
        )
        if not counted and not any(m in payload for m in marks):
            return
        report = orjson.loads(payload)
        at = _taken_ms(report, received_ms) if report.get("backfill") is True else received_ms
        self._note(school, device, channel, report, at, counted)

    def _note(
        self,
        school: str,
        device: str,
        channel: str,
        report: dict[str, Any],
        at: int,
        counted: list[Counter],
    ) -> None:
        """Keep the watched fields of one parsed report, taken at ``at`` (ms)."""
        found: list[tuple[str, float | None, str | None]] = []
        if channel == TELEMETRY:
            for metric in report.get("metrics", ()):
                if metric.get("name") in _WATCHED_METRICS:
                    found += _metric_readings(metric)
            found += self._rises(school, device, report, counted, at)
        elif channel == EVENTS:
            for event in report.get("events", ()):
                found += _event_readings(event)
        elif channel == INVENTORY:
            value = report.get("inventory", {}).get("smart_failed_count")
            if isinstance(value, (int, float)):
                found.append(("inventory.smart_failed_count", float(value), None))
        if found:
            with self._lock:
                for name, value, text in map(_bounded, found):
                    key = (school, device, name)
                    old = self._pending.get(key)
                    if old is None or old[2] <= at:
                        self._pending[key] = (value, text, at)

    def _counters_to_read(self, school: str, device: str, payload: bytes, at: int) -> list[Counter]:
        """The counters this report carries with a value other than 0 (a 0 is noted here)."""
        out = []
        for c in self.counters:
            if c.mark not in payload:
                continue
            if c.is_zero(payload):
                with self._lock:
                    self._set_last((school, device, c.name), 0.0, at)
            else:
                out.append(c)
        return out

    def _set_last(self, key: tuple[str, str, str], value: float, at: int) -> float | None:
        """Remember a counter's value; the one before, or None (none yet, or this one is older
        than the last one seen: a late value says nothing about a rise). Under the lock."""
        last = self._last.get(key)
        if last is not None and at < last[1]:
            return None
        self._last[key] = (value, at)
        return None if last is None else last[0]

    def _rises(
        self,
        school: str,
        device: str,
        report: dict[str, Any],
        counted: list[Counter],
        at: int,
    ) -> list[Reading]:
        out: list[Reading] = []
        for c in counted:
            value = next(
                (
                    _count((m.get("fields") or {}).get(c.field))
                    for m in report.get("metrics", ())
                    if m.get("name") == c.metric
                ),
                None,
            )
            if value is None:
                continue
            with self._lock:
                last = self._set_last((school, device, c.name), value, at)
            if last is not None and value > last:
                out.append((f"rise.{c.name}", value - last, None))
        return out

    def note(
        self,
        school: str,
        device: str,
        name: str,
        value: float | None,
        at: datetime,
        text: str | None = None,
    ) -> None:
        """Record one reading directly (the simulator's and tests' way in)."""
        with self._lock:
            self._pending[(school, device, name)] = (value, text, int(at.timestamp() * 1000))

    def pending(self) -> int:
        return len(self._pending)

    # -- registry side ----------------------------------------------------------------------
    def flush(self, session: Session) -> int:
        with self._lock:
            batch, self._pending = self._pending, {}
        if not batch:
            return 0
        rows = [
            {
                "school_id": s,
                "device_id": d,
                "name": n,
                "value": v,
                "text_value": t,
                "at": datetime.fromtimestamp(ms / 1000, timezone.utc),
            }
            for (s, d, n), (v, t, ms) in batch.items()
        ]
        ex = upsert(session, DeviceReading).excluded
        newer = ex.at >= DeviceReading.at
        stmt = upsert(session, DeviceReading).on_conflict_do_update(
            index_elements=["school_id", "device_id", "name"],
            set_={
                "value": case((newer, ex.value), else_=DeviceReading.value),
                "text_value": case((newer, ex.text_value), else_=DeviceReading.text_value),
                "at": case((newer, ex.at), else_=DeviceReading.at),
            },
        )
        try:
            session.execute(stmt, rows)
            session.commit()
        except (DataError, IntegrityError):
            # One reading the database refuses (a bound, a character) must not stop the others
            # nor, flushed again and again, every alert rule: retry them one by one, and drop
            # only those refused.
            session.rollback()
            return self._flush_each(session, stmt, rows)
        except BaseException:
            # A locked or unreachable registry: keep them (an event reading such as a failover
            # comes only once), unless a newer reading of the same field has arrived since.
            session.rollback()
            with self._lock:
                for key, reading in batch.items():
                    if key not in self._pending or self._pending[key][2] < reading[2]:
                        self._pending[key] = reading
            raise
        return len(rows)

    def _flush_each(self, session: Session, stmt: Any, rows: list[dict[str, Any]]) -> int:
        written = 0
        for row in rows:
            try:
                session.execute(stmt, [row])
                session.commit()
                written += 1
            except (DataError, IntegrityError) as exc:
                session.rollback()
                self.dropped += 1
                log.warning(
                    "reading %s of %s/%s dropped: the registry refused it (%s)",
                    row["name"][:80],
                    row["school_id"],
                    row["device_id"],
                    str(exc).splitlines()[0][:200],
                )
        return written


def _bounded(reading: Reading) -> Reading:
    """A reading as the registry can hold it: name within its column, text without NUL."""
    name, value, text = reading
    name = name.translate(_CONTROLS)[:MAX_NAME]
    return name, value, None if text is None else text.translate(_CONTROLS)[:MAX_TEXT]


def _count(value: object) -> float | None:
    """A counter's value: a JSON number only (a boolean is no count, and must not reset the
    baseline)."""
    return None if isinstance(value, bool) else _number(value)


def _taken_ms(report: dict[str, Any], received_ms: int) -> int:
    """When a late report says it was taken: its ``ts``, but never after it arrived."""
    ts = report.get("ts")
    if isinstance(ts, int) and not isinstance(ts, bool):
        return min(ts, received_ms)
    return received_ms


def _number(value: object) -> float | None:
    """JSON numbers, and booleans as 1/0 (the agent's uplink sends ``"up": false``)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return float(value) if isinstance(value, (int, float)) else None


def _metric_readings(metric: dict[str, Any]) -> list[Reading]:
    name, fields = metric.get("name"), metric.get("fields") or {}
    out: list[Reading] = []
    if name == "uplink":
        out += [(f"uplink.{f}", _number(fields[f]), None) for f in UPLINK_NUMBERS if f in fields]
        out += [(f"uplink.{f}", None, str(fields[f])) for f in UPLINK_TEXTS if f in fields]
    elif name == "disk" and "used_percent" in fields:
        out.append(
            (
                f"disk.used_percent:{metric.get('instance') or '/'}",
                _number(fields["used_percent"]),
                None,
            )
        )
    elif name == "projector":
        out += [
            (f"projector.{f}", _number(fields[f]), None) for f in PROJECTOR_NUMBERS if f in fields
        ]
    return out


def _event_readings(event: dict[str, Any]) -> list[Reading]:
    data = event.get("data") or {}
    if event.get("type") == "uplink_changed":
        reason = str(data.get("reason", ""))
        return [
            (
                "event.uplink_changed",
                1.0 if reason == "failover" else 0.0,
                f"{data.get('from_type', '?')}>{data.get('to_type', '?')} {reason}",
            )
        ]
    if event.get("type") == "lan_host_unknown" and data.get("mac"):
        mac = str(data["mac"]).lower()
        return [
            (
                f"event.lan_host_unknown:{mac}",
                1.0,
                " ".join(str(data[k]) for k in ("vendor", "likely_kind") if data.get(k)) or None,
            )
        ]
    return []
