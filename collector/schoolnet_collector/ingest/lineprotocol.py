"""Reports → InfluxDB line protocol (docs/protocol.md, "Storage mapping"), typed in one pass.

InfluxDB 1.x fixes a field's type per shard: the first write of ``up="x"`` makes every later
numeric ``up`` of the whole fleet fail until the shard ends. So each field is encoded by its
declared type (model.py) as it is written, in the same loop: a value that cannot be that type
is left out and noted in ``issues`` as ``wrong_type``, never written. A number field is
written as a float (``1`` → ``1.0``), a bool field as a boolean; a bool where a number is
declared, or a number where a bool is, is ``wrong_type``: converting it would store a type the
field's shard does not hold. A flag field (the uplink's ``fixed``, ``cellular``, ``up``,
``failover``: dashboards and readiness sum them and compare them to 1) is stored as a float
whether it comes as ``true`` or ``1``. A field never changes type between devices or reports.

Measurement names, metric field names and inventory keys are restricted by the schema; event
data keys are not, so they are checked here (``bad_key``): a key is written into the line, and
``a=1 0\\nuplink,school=other ...`` would be a second point for any school. Tags are escaped
and strings stripped of control characters and bounded.
"""

from __future__ import annotations

import re
from typing import Any

from schoolnet_collector.ingest.model import (
    BOOL,
    FLAG,
    NUMBER,
    TEXT,
    event_data_types,
    inventory_type,
)

KEY_RE = re.compile(r"\A[a-z][a-z0-9_]{0,63}\Z")
MAX_TEXT = 256  # the schema's bound on a string value
MAX_INVENTORY_TEXT = 1024  # a PC's list of MACs
Issues = list[tuple[str, str]]
"""(reason, detail) of each field left out of a report; the report's other fields are kept."""

_CONTROLS = dict.fromkeys((*range(32), 127), " ")
_STRING_ESCAPES = str.maketrans({**_CONTROLS, "\\": "\\\\", '"': '\\"'})
# InfluxDB 1.x has no escape for a backslash in a tag value, and one before the separating
# space ("C:\\" as a Windows disk) breaks the line: backslashes become slashes ("C:/"). A
# control character (a newline ends the line) becomes an escaped space.
_TAG_ESCAPES = str.maketrans(
    {",": r"\,", "=": r"\=", " ": r"\ ", "\\": "/", **{chr(c): r"\ " for c in _CONTROLS}}
)


def tag_value(value: str) -> str:
    return value.translate(_TAG_ESCAPES) if value else "unknown"


def string_field(value: str, limit: int = MAX_TEXT) -> str:
    return '"' + value[:limit].translate(_STRING_ESCAPES) + '"'


def typed(kind: str, value: Any, limit: int = MAX_TEXT) -> str | None:
    """``value`` encoded as ``kind``, or None when it cannot be one (the field is left out)."""
    t = type(value)  # exact types: bool is an int subclass, and this runs per field
    if kind == NUMBER:
        if t is float:
            return repr(value) if value - value == 0.0 else None  # not inf or nan
        if t is int:
            try:
                return repr(float(value))
            except OverflowError:
                return None
        return None
    if kind == FLAG:  # the agent sends True, a simulator or an older agent 1: both are 1.0
        if t is bool:
            return "1.0" if value else "0.0"
        return typed(NUMBER, value, limit)
    if kind == BOOL:
        if t is bool:
            return "true" if value else "false"
        return None
    if t is str:
        return string_field(value, limit)
    if t is bool or t is int or t is float:  # a number where text is declared: its text
        return string_field(str(value), limit)
    return None


def fields_text(types: dict[str, str], fields: dict[str, Any], issues: Issues, where: str) -> str:
    """``k=v,...`` of the fields that have their declared type (undeclared: number).

    A number declared a number, nearly every field of every report, is written here without
    the call to ``typed``: this loop is most of ingest's CPU per report. The rest (an infinite
    float, an int too large for a float, any other type) goes through ``typed``."""
    parts = []
    get = types.get
    for k, v in fields.items():
        kind = get(k, NUMBER)
        if kind == NUMBER:
            t = type(v)
            if t is float:
                if v - v == 0.0:  # not inf or nan
                    parts.append(f"{k}={v!r}")
                    continue
            elif t is int:
                try:
                    parts.append(f"{k}={float(v)!r}")
                    continue
                except OverflowError:
                    pass
        enc = typed(kind, v)
        if enc is None:
            issues.append(("wrong_type", f"{where}.{k} = {str(v)[:40]!r} is not {kind}"))
        else:
            parts.append(f"{k}={enc}")
    return ",".join(parts)


def tag_set(tags: dict[str, str]) -> str:
    """``,k=v,...`` in key order (InfluxDB's preferred order, and stable for caching)."""
    return "".join(f",{k}={tag_value(v)}" for k, v in sorted(tags.items()))


def metric_line(
    types: dict[str, str], metric: dict[str, Any], tags: str, ts: int, issues: Issues
) -> str | None:
    series = metric["name"] + tags
    instance = metric.get("instance")
    if instance is not None:
        series += ",instance=" + tag_value(instance)
    fields = fields_text(types, metric["fields"], issues, metric["name"])
    return f"{series} {fields} {ts}" if fields else None


def report_line(report: dict[str, Any], tags: str, received_ms: int) -> str:
    """The ``report`` point that counts and times a telemetry report."""
    ts = report["ts"]
    extra = f",interval_seconds={float(report['interval'])!r}" if "interval" in report else ""
    if report.get("backfill"):  # a field, not a tag: a replayed copy lands on the same point
        extra += ",backfill=1.0"
    return (
        f"report{tags} seq={float(report['seq'])!r}{extra},"
        f"delay_seconds={(received_ms - ts) / 1000.0!r} {ts}"
    )


def availability_line(tags: str, online: bool, received_ms: int) -> str:
    return f"availability{tags} online={1.0 if online else 0.0} {received_ms}"


def event_lines(report: dict[str, Any], tags: str, issues: Issues) -> list[str]:
    """Events share the report's ``ts``; the millisecond is nudged by the event's index so
    two events of one type in one report stay two points. Every ``data_<key>`` is text unless
    declared otherwise: one key has one type whichever event carries it."""
    lines = []
    for i, event in enumerate(report["events"]):
        types = event_data_types(event["type"])
        fields = [
            f"severity={string_field(event.get('severity', 'info'))}",
            f"message={string_field(event.get('message', ''))}",
        ]
        for k, v in event.get("data", {}).items():
            if not KEY_RE.match(k):
                issues.append(("bad_key", f"event {event['type']}: data key {k[:40]!r}"))
                continue
            kind = types.get(k, TEXT)
            enc = typed(kind, v)
            if enc is None:
                issues.append(("wrong_type", f"event {event['type']}: data {k} is not {kind}"))
            else:
                fields.append(f"data_{k}={enc}")
        lines.append(
            f"event{tags},type={tag_value(event['type'])} {','.join(fields)} {report['ts'] + i}"
        )
    return lines


def inventory_line(report: dict[str, Any], tags: str, issues: Issues) -> str | None:
    """Scalar inventory values by their declared type; lists and objects are not stored."""
    parts = []
    for k, v in report["inventory"].items():
        if type(v) not in (int, float, str, bool):
            continue
        kind = inventory_type(k)
        enc = typed(kind, v, MAX_INVENTORY_TEXT)
        if enc is None:
            issues.append(("wrong_type", f"inventory.{k} = {str(v)[:40]!r} is not {kind}"))
        else:
            parts.append(f"{k}={enc}")
    if not parts:
        return None
    return f"inventory{tags} {','.join(parts)} {report['ts']}"
