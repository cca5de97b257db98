"""One MQTT message → line-protocol lines and registry updates, or a PayloadError.

This is the hot path (thousands of messages a second): the JSON is parsed once (orjson),
checked against the shared JSON Schema, and each device's tag set is built once and cached.

A ``batch`` message (metered links, docs/protocol.md) is inflated and every report in it is
checked and stored as if it had come alone on its own channel; a bad report inside is handed
to ``reject`` (the dead-letter store) and the good ones are kept, and handed back in
``accepted`` (channel, report) so that the alert rules see them as they see lone reports.
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
from schoolnet_collector.ingest.schema_check import check_schema
from schoolnet_collector.registry.devices import DeviceTracker

CONTENT_KEY = {TELEMETRY: "metrics", INVENTORY: "inventory", EVENTS: "events"}
CHANNEL_OF = {key: channel for channel, key in CONTENT_KEY.items()}
Accepted = list[tuple[str, dict[str, Any]]]
"""The reports of a batch that were checked and kept, as (channel, report), in batch order."""


@dataclass(frozen=True, slots=True)
class SchoolTags:
    province: str
    district: str
    level: str


class Converter:
    def __init__(
        self,
        schools: dict[str, SchoolTags],
        tracker: DeviceTracker,
        max_payload_bytes: int,
        reject: Callable[[str, bytes, str, str], None] | None = None,
    ):
        self.schools = schools
        # (topic, payload, reason, detail) of a bad report inside a batch whose others are kept
        self.reject = reject
        self.tracker = tracker
        self.max_payload_bytes = max_payload_bytes
        self._tags: dict[tuple[str, str, str | None], str] = {}

    def set_schools(self, schools: dict[str, SchoolTags]) -> None:
        self.schools = schools
        self._tags = {}

    def tags(self, school: str, device: str, kind: str | None) -> str:
        key = (school, device, kind)
        cached = self._tags.get(key)
        if cached is None:
            s = self.schools[school]
            tags = {
                "province": s.province,
                "district": s.district,
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
        return self._report(t, t.channel, report, received, received_ms)

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
                lines += self._report(t, channel, report, received, received_ms)
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
        t: Topic,
        channel: str,
        report: dict[str, Any],
        received: datetime,
        received_ms: int,
    ) -> list[str]:
        if report["school"] != t.school or report["device"] != t.device:
            raise PayloadError(
                "topic_mismatch",
                f"topic names {t.school}/{t.device}, payload {report['school']}/{report['device']}",
            )
        if CONTENT_KEY[channel] not in report:
            raise PayloadError(
                "topic_mismatch", f"a {channel} message must carry {CONTENT_KEY[channel]!r}"
            )
        tags = self.tags(t.school, t.device, report["kind"])
        self.tracker.report(
            t.school, t.device, report["kind"], report["seq"], report.get("interval"), received
        )
        if channel == TELEMETRY:
            return lp.telemetry_lines(report, tags, received_ms)
        if channel == EVENTS:
            return lp.event_lines(report, tags)
        line = lp.inventory_line(report, tags)
        return [line] if line else []

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
