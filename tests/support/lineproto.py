"""A strict reader of the line protocol ingest writes: to check what a line says, not how."""

from __future__ import annotations

import re

_SPLIT = re.compile(r"(?<!\\) ")
_COMMA = re.compile(r"(?<!\\),")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _fields(text: str) -> dict[str, object]:
    out: dict[str, object] = {}
    i = 0
    while i < len(text):
        eq = text.index("=", i)
        key = text[i:eq]
        if text[eq + 1] == '"':
            j = eq + 2
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out[key] = _unescape(text[eq + 2 : j])
            i = j + 2  # past the quote and the comma
        else:
            end = text.find(",", eq)
            end = len(text) if end < 0 else end
            raw = text[eq + 1 : end]
            out[key] = float(raw) if raw not in ("true", "false") else raw == "true"
            i = end + 1
    return out


def parse(line: str) -> tuple[str, dict[str, str], dict[str, object], int]:
    """(measurement, tags, fields, time) of one line; raises on anything malformed."""
    assert "\n" not in line, line
    series, rest = _SPLIT.split(line, maxsplit=1)
    fields_text, ts = rest.rsplit(" ", 1)
    name, *tags = _COMMA.split(series)
    return (
        name,
        {_unescape(k): _unescape(v) for k, v in (t.split("=", 1) for t in tags)},
        _fields(fields_text),
        int(ts),
    )
