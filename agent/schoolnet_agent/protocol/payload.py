"""Report payloads: JSON objects checked against ``report-v1.schema.json``.

Numbers are stored by the collector as floats whatever their JSON spelling, so a field that
is ``0`` in one report and ``0.5`` in the next never causes an InfluxDB field-type conflict.
Units are part of field names (``used_bytes``, ``usage_percent``): self-describing at no cost
in bytes, which matters to schools that pay per megabyte.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 256 * 1024


class PayloadError(ValueError):
    """A payload that breaks the contract; ``reason`` is a short stable label for counting."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class Sample:
    """One probe's reading: a metric name, optional instance (disk, NIC) and its fields."""

    name: str
    fields: dict[str, float | int | bool | str]
    instance: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "fields": self.fields}
        if self.instance is not None:
            out["instance"] = self.instance
        return out


def build_report(
    school: str,
    device: str,
    kind: str,
    seq: int,
    samples: Iterable[Sample],
    ts_ms: int | None = None,
    interval: float | None = None,
    agent: str | None = None,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "schema": SCHEMA_VERSION,
        "school": school,
        "device": device,
        "kind": kind,
        "seq": seq,
        "ts": ts_ms if ts_ms is not None else int(time.time() * 1000),
        "metrics": [s.as_json() for s in samples],
    }
    if interval is not None:
        report["interval"] = interval
    if agent is not None:
        report["agent"] = agent
    return report


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened (an uplink failed over, a projector left the LAN), as opposed to
    a reading: sent once on the ``events`` channel, stored as an ``event`` point by ``type``."""

    type: str
    data: dict[str, float | int | bool | str]
    severity: str = "info"  # info, warning, critical
    message: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "severity": self.severity, "data": self.data}
        if self.message is not None:
            out["message"] = self.message
        return out


def build_events_report(
    school: str, device: str, kind: str, seq: int, events: Iterable[Event], ts_ms: int | None = None
) -> dict[str, Any]:
    """The ``events`` sibling of :func:`build_report`: same envelope, ``events`` instead of metrics."""
    return {
        "schema": SCHEMA_VERSION,
        "school": school,
        "device": device,
        "kind": kind,
        "seq": seq,
        "ts": ts_ms if ts_ms is not None else int(time.time() * 1000),
        "events": [e.as_json() for e in events],
    }


def encode(report: dict[str, Any]) -> bytes:
    return json.dumps(report, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    text = resources.files("schoolnet_agent.protocol").joinpath("report-v1.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with each local ``{"$ref": "#/$defs/x"}`` replaced by its definition,
    merged with the keywords beside the ``$ref`` (draft 2020-12 applies both)."""
    if isinstance(node, dict):
        ref = node.get("$ref", "")
        if ref.startswith("#/$defs/"):
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            return _inline_refs({**defs[ref.removeprefix("#/$defs/")], **siblings}, defs)
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@lru_cache(maxsize=1)
def _validator() -> Callable[[dict[str, Any]], Any]:
    """The schema compiled to Python by fastjsonschema, refs inlined first: a ``$ref`` there
    becomes a call that formats the value's path on every field, even valid ones, which
    tripled the collector's cost per report."""
    import fastjsonschema

    return fastjsonschema.compile(_inline_refs(schema(), schema()["$defs"]))


def check_schema(report: dict[str, Any]) -> None:
    """The pure-Python check (fastjsonschema): light enough for the agent."""
    import fastjsonschema

    try:
        _validator()(report)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise PayloadError("schema", exc.message) from None


def validate(report: Any, check: Callable[[dict[str, Any]], None] = check_schema) -> dict[str, Any]:
    """Return the report if it matches schema v1, else raise PayloadError naming the problem.

    ``check`` applies the JSON Schema and raises PayloadError("schema", ...); the collector
    passes a compiled-Rust one (jsonschema-rs, 4x faster) for the same schema file."""
    if not isinstance(report, dict):
        raise PayloadError(
            "not_object", f"payload is a JSON {type(report).__name__}, not an object"
        )
    version = report.get("schema")
    if version != SCHEMA_VERSION:
        raise PayloadError(
            "wrong_version", f"schema version {version!r}, this side speaks {SCHEMA_VERSION}"
        )
    check(report)
    return report


def decode(
    payload: bytes,
    loads: Callable[[bytes], Any] = json.loads,
    check: Callable[[dict[str, Any]], None] = check_schema,
) -> dict[str, Any]:
    """Parse and validate raw bytes from the wire."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError("oversize", f"{len(payload)} bytes, limit {MAX_PAYLOAD_BYTES}")
    try:
        report = loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError("not_json", str(exc)[:200]) from None
    return validate(report, check)
