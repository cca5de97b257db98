"""One MQTT message → line-protocol lines and registry updates, or a PayloadError.

This is the hot path (thousands of messages a second): the JSON is parsed once (orjson),
checked against the shared JSON Schema, and each device's tag set is built once and cached.

A ``batch`` message (metered links, docs/protocol.md) is inflated and every report in it is
checked and stored as if it had come alone on its own channel; a bad report inside is handed
to ``reject`` (the dead-letter store) and the good ones are kept, and handed back in
``accepted`` (channel, report) so that the alert rules see them as they see lone reports.

What a report may say is decided here, not by the report: its tags are the registry's (the
school's province, commune, managing body and level: ``SchoolTags``) and the topic's (school, device; the broker's ACL ties a
lab PC's credentials to its own topic); its ``kind`` must be the one the registry holds for
the device (``kind_mismatch``), and a new device may claim ``gateway`` only for a school that
has none. Its ``ts`` must lie within ``max_age_days`` before and ``max_future_seconds`` after
the collector's clock (``bad_time``). Field types are the declared model's (lineprotocol.py);
what it creates counts against the device's budgets (budgets.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson

from schoolnet_agent.protocol import (
    AVAILABILITY,
    EVENTS,
    INVENTORY,
    OFFLINE,
    ONLINE,
    TELEMETRY,
    PayloadError,
    Topic,
    TopicError,
    decode,
    parse_topic,
    validate,
)
from schoolnet_agent.protocol.batch import decode_batch
from schoolnet_agent.protocol.topics import BATCH
from schoolnet_collector.ingest import lineprotocol as lp
from schoolnet_collector.ingest.budgets import Budgets, Limits
from schoolnet_collector.ingest.model import metric_types
from schoolnet_collector.ingest.schema_check import check_schema
from schoolnet_collector.registry.devices import UNKNOWN_KIND, DeviceTracker

CONTENT_KEY = {TELEMETRY: "metrics", INVENTORY: "inventory", EVENTS: "events"}
CHANNEL_OF = {key: channel for channel, key in CONTENT_KEY.items()}
SOLE_KINDS = frozenset({"gateway"})  # one per school: its uplink readings are the school's


@dataclass(frozen=True, slots=True)
class Window:
    """How far a report's ``ts`` may lie from the collector's clock."""

    max_age_ms: int = 31 * 86_400_000
    max_future_ms: int = 300_000


Accepted = list[tuple[str, dict[str, Any]]]
"""The reports of a batch that were checked and kept, as (channel, report), in batch order."""


@dataclass(frozen=True, slots=True)
class SchoolTags:
    """The registry's units of a school, as tags on every point of its devices. Since the 2025
    reform they are today's units: ``commune`` and ``managing_body`` (``unassigned`` until the
    registry says, so a dashboard can still select those schools), never the old district.
    Points written before keep the tags they had; reports select schools by ``school``."""

    province: str
    commune: str
    managing_body: str
    level: str


class Converter:
    def __init__(
        self,
        schools: dict[str, SchoolTags],
        tracker: DeviceTracker,
        max_payload_bytes: int,
        reject: Callable[[str, bytes, str, str], None] | None = None,
        kinds: dict[tuple[str, str], str] | None = None,
        window: Window | None = None,
        limits: Limits | None = None,
    ):
        self.schools = schools
        # (topic, payload, reason, detail) of a bad report inside a batch whose others are
        # kept, and of the fields left out of a kept report
        self.reject = reject
        self.tracker = tracker
        self.max_payload_bytes = max_payload_bytes
        self.window = window or Window()
        self._tags: dict[tuple[str, str, str | None], str] = {}
        self.kinds: dict[tuple[str, str], str] = {}
        self._gateways: set[str] = set()  # schools whose gateway the registry knows
        self.budgets = Budgets(limits or Limits())
        self.set_kinds(kinds or {})

    def set_schools(self, schools: dict[str, SchoolTags]) -> None:
        self.schools = schools
        self._tags = {}

    def set_kinds(self, kinds: dict[tuple[str, str], str]) -> None:
        """The registry's kind of each device (reloaded with the schools): the authority."""
        for key, kind in kinds.items():
            if kind != UNKNOWN_KIND:
                self.kinds[key] = kind
                if kind in SOLE_KINDS:
                    self._gateways.add(key[0])
        self.budgets.set_known(set(kinds))

    def _kind(self, school: str, device: str, claimed: str) -> str:
        known = self.kinds.get((school, device))
        if known is None:
            if claimed in SOLE_KINDS and school in self._gateways:
                raise PayloadError(
                    "kind_mismatch", f"{device} claims {claimed!r}; {school} has one already"
                )
            self.kinds[(school, device)] = claimed
            if claimed in SOLE_KINDS:
                self._gateways.add(school)
            return claimed
        if known != claimed:
            raise PayloadError(
                "kind_mismatch", f"{device} claims kind {claimed!r}; the registry says {known!r}"
            )
        return known

    def tags(self, school: str, device: str, kind: str | None) -> str:
        key = (school, device, kind)
        cached = self._tags.get(key)
        if cached is None:
            s = self.schools[school]
            tags = {
                "province": s.province,
                "commune": s.commune,
                "managing_body": s.managing_body,
                "level": s.level,
                "school": school,
                "device": device,
            }
            if kind is not None:
                tags["kind"] = kind
            cached = self._tags[key] = lp.tag_set(tags)
        return cached

    def convert(
        self,
        topic: str,
        payload: bytes,
        received_ms: int,
        retained: bool = False,
        accepted: Accepted | None = None,
    ) -> list[str]:
        try:
            t = parse_topic(topic)
        except TopicError as exc:
            raise PayloadError("bad_topic", str(exc)) from None
        if len(payload) > self.max_payload_bytes:
            raise PayloadError("oversize", f"{len(payload)} bytes, limit {self.max_payload_bytes}")
        if t.school not in self.schools:
            raise PayloadError("unknown_school", f"school {t.school!r} is not in the registry")
        received = datetime.fromtimestamp(received_ms / 1000, timezone.utc)
        if t.channel == AVAILABILITY:
            return self._availability(t.school, t.device, payload, received, received_ms, retained)
        if t.channel == BATCH:
            return self._batch(topic, t, payload, received, received_ms, accepted)
        report = decode(payload, loads=orjson.loads, check=check_schema)
        return self._report(topic, t, t.channel, report, received, received_ms)

    def _batch(
        self,
        topic: str,
        t: Topic,
        payload: bytes,
        received: datetime,
        received_ms: int,
        accepted: Accepted | None,
    ) -> list[str]:
        lines: list[str] = []
        for item in decode_batch(payload, loads=orjson.loads):
            try:
                report = validate(item, check_schema)
                channel = next(CHANNEL_OF[key] for key in CHANNEL_OF if key in report)
                lines += self._report(topic, t, channel, report, received, received_ms)
                if accepted is not None:
                    accepted.append((channel, report))
            except PayloadError as exc:
                self._reject_inner(topic, item, exc)
        return lines

    def _reject_inner(self, topic: str, item: Any, exc: PayloadError) -> None:
        if self.reject is None:
            raise exc
        try:
            raw = orjson.dumps(item)
        except TypeError:
            raw = repr(item).encode()
        self.reject(topic, raw, exc.reason, f"in a batch: {exc.detail}")

    def _report(
        self,
        topic: str,
        t: Topic,
        channel: str,
        report: dict[str, Any],
        received: datetime,
        received_ms: int,
    ) -> list[str]:
        school, device = t.school, t.device
        if report["school"] != school or report["device"] != device:
            raise PayloadError(
                "topic_mismatch",
                f"topic names {school}/{device}, payload {report['school']}/{report['device']}",
            )
        if CONTENT_KEY[channel] not in report:
            raise PayloadError(
                "topic_mismatch", f"a {channel} message must carry {CONTENT_KEY[channel]!r}"
            )
        ts = report["ts"]
        if (
            not received_ms - self.window.max_age_ms
            <= ts
            <= received_ms + self.window.max_future_ms
        ):
            raise PayloadError(
                "bad_time",
                f"ts {ts} is {(ts - received_ms) / 1000:+.0f} s from the collector's clock",
            )
        kind = self._kind(school, device, report["kind"])
        if not self.budgets.device(school, device, received_ms):
            raise PayloadError("over_budget", f"{school}: too many new device ids today")
        tags = self.tags(school, device, kind)
        self.tracker.report(school, device, kind, report["seq"], report.get("interval"), received)
        issues: lp.Issues = []
        if channel == TELEMETRY:
            lines = []
            for metric in report["metrics"]:
                name, instance, fields = metric["name"], metric.get("instance"), metric["fields"]
                if not self.budgets.series(school, device, name, instance, fields.keys()):
                    issues.append(("over_budget", f"{name} {instance or ''}: a new series"))
                    continue
                line = lp.metric_line(metric_types(name), metric, tags, ts, issues)
                if line is not None:
                    lines.append(line)
            lines.append(lp.report_line(report, tags, received_ms))
        elif channel == EVENTS:
            events = report["events"]
            kept = [e for e in events if self.budgets.event_type(school, device, e["type"])]
            if len(kept) < len(events):
                issues.append(("over_budget", f"{len(events) - len(kept)} events of new types"))
            lines = lp.event_lines({"ts": ts, "events": kept}, tags, issues)
        else:
            line = lp.inventory_line(report, tags, issues)
            lines = [line] if line else []
        if issues and self.reject is not None:
            self._left_out(topic, report, issues)
        return lines

    def _left_out(self, topic: str, report: dict[str, Any], issues: lp.Issues) -> None:
        """One dead letter per reason for the fields left out of a report that was kept."""
        first: dict[str, tuple[str, int]] = {}
        for reason, detail in issues:
            seen = first.get(reason)
            first[reason] = (detail, 1) if seen is None else (seen[0], seen[1] + 1)
        raw = orjson.dumps(report)
        assert self.reject is not None
        for reason, (detail, n) in first.items():
            more = f" (+{n - 1} more in this report)" if n > 1 else ""
            self.reject(topic, raw, reason, f"left out, report kept: {detail}{more}")

    def _availability(
        self,
        school: str,
        device: str,
        payload: bytes,
        received: datetime,
        received_ms: int,
        retained: bool,
    ) -> list[str]:
        state = payload.strip().lower()
        if state not in (ONLINE, OFFLINE):
            raise PayloadError(
                "bad_availability", f"expected 'online' or 'offline', got {payload[:40]!r}"
            )
        online = state == ONLINE
        self.tracker.availability(school, device, online, received, fresh=not retained)
        return (
            []
            if retained
            else [lp.availability_line(self.tags(school, device, None), online, received_ms)]
        )
