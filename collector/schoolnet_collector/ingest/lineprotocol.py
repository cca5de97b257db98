"""Reports → InfluxDB line protocol (docs/protocol.md, "Storage mapping").

Every JSON number becomes a float so that a field's type never changes between reports.
Measurement and field names are already safe (the schema restricts them to ``[a-z0-9_]``);
tag values and string fields are escaped here.
"""

from __future__ import annotations

from typing import Any

# InfluxDB 1.x has no escape for a backslash in a tag value, and one before the separating
# space ("C:\\" as a Windows disk) breaks the line: backslashes become slashes ("C:/").
_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\n": " ", "\\": "/"})


def tag_value(value: str) -> str:
    return value.translate(_TAG_ESCAPES) if value else "unknown"


def string_field(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def field_value(value: Any) -> str:
    kind = type(value)  # exact types: bool is an int subclass, and this runs per field
    if kind is float:
        return repr(value)
    if kind is int:
        return repr(float(value))
    if kind is bool:
        return "true" if value else "false"
    return string_field(str(value))


def fields_text(fields: dict[str, Any]) -> str:
    return ",".join([f"{k}={field_value(v)}" for k, v in fields.items()])


def tag_set(tags: dict[str, str]) -> str:
    """``,k=v,...`` in key order (InfluxDB's preferred order, and stable for caching)."""
    return "".join(f",{k}={tag_value(v)}" for k, v in sorted(tags.items()))


def telemetry_lines(report: dict[str, Any], tags: str, received_ms: int) -> list[str]:
    """One line per metric, plus the ``report`` line that counts and times the report.

    ``tags`` is the device's pre-built tag set (``tag_set``), shared by all its lines.
    """
    ts = report["ts"]
    lines = []
    for metric in report["metrics"]:
        instance = metric.get("instance")
        series = metric["name"] + tags
        if instance is not None:
            series += ",instance=" + tag_value(instance)
        lines.append(f"{series} {fields_text(metric['fields'])} {ts}")
    extra = f",interval_seconds={float(report['interval'])!r}" if "interval" in report else ""
    if report.get("backfill"):  # a field, not a tag: a replayed copy lands on the same point
        extra += ",backfill=1.0"
    lines.append(
        f"report{tags} seq={float(report['seq'])!r}{extra},"
        f"delay_seconds={(received_ms - ts) / 1000.0!r} {ts}"
    )
    return lines


def availability_line(tags: str, online: bool, received_ms: int) -> str:
    return f"availability{tags} online={1.0 if online else 0.0} {received_ms}"


def event_lines(report: dict[str, Any], tags: str) -> list[str]:
    """Events share the report's ``ts``; the millisecond is nudged by the event's index so
    two events of one type in one report stay two points."""
    lines = []
    for i, event in enumerate(report["events"]):
        fields = {"severity": event.get("severity", "info"), "message": event.get("message", "")}
        fields.update({f"data_{k}": v for k, v in event.get("data", {}).items()})
        lines.append(
            f"event{tags},type={tag_value(event['type'])} {fields_text(fields)} {report['ts'] + i}"
        )
    return lines


def inventory_line(report: dict[str, Any], tags: str) -> str | None:
    scalars = {
        k: v
        for k, v in report["inventory"].items()
        if isinstance(v, (int, float, str, bool)) and not (isinstance(v, str) and len(v) > 256)
    }
    if not scalars:
        return None
    return f"inventory{tags} {fields_text(scalars)} {report['ts']}"
