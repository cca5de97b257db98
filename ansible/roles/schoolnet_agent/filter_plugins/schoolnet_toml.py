"""Jinja2 filter ``toml_value``: one Python value as a TOML value, for templates/agent.toml.j2.

Why not ``to_json``: JSON escapes characters outside the BMP as surrogate pairs and leaves
DEL unescaped, both of which TOML rejects, and a vaulted password may hold any character.
Only the types the agent's configuration uses are accepted (mappings become inline tables,
``toml_table`` writes one entry of an array of tables); anything else is an error that
names the value instead of a config file the agent cannot read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# TOML basic strings must escape '"', '\\' and the control characters except tab.
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif (ord(char) < 0x20 and char != "\t") or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_key(key) -> str:
    key = str(key)
    return key if _BARE_KEY.match(key) else _toml_string(key)


def toml_value(value):
    """Render a str, bool, int, finite float, list or mapping (an inline table) as TOML.

    Keys whose value is None are left out of a mapping: an optional setting not given.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AnsibleFilterError(f"toml_value: {value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{"
            + ", ".join(
                f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None
            )
            + "}"
        )
    raise AnsibleFilterError(f"toml_value: cannot write {type(value).__name__} {value!r} as TOML")


def toml_table(value) -> str:
    """The body of a table (``key = value`` lines) from a mapping, None values left out; for
    the entries of an array of tables such as ``[[projectors]]``."""
    if not isinstance(value, Mapping):
        raise AnsibleFilterError(
            f"toml_table: expected a mapping, got {type(value).__name__} {value!r}"
        )
    return "\n".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None)


class FilterModule:
    """Registers the filter with Ansible (role-embedded plugin)."""

    def filters(self):
        return {"toml_value": toml_value, "toml_table": toml_table}
