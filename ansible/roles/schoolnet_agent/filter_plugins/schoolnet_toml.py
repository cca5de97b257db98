"""Jinja2 filter ``toml_value``: one Python value as a TOML value, for templates/agent.toml.j2.

Why not ``to_json``: JSON escapes characters outside the BMP as surrogate pairs and leaves
DEL unescaped, both of which TOML rejects, and a vaulted password may hold any character.
Only the types the agent's configuration uses are accepted; anything else is an error that
names the value instead of a config file the agent cannot read.
"""
from __future__ import annotations

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


def toml_value(value):
    """Render a str, bool, int or list of those as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise AnsibleFilterError(f"toml_value: cannot write {type(value).__name__} {value!r} as TOML")


class FilterModule:
    """Registers the filter with Ansible (role-embedded plugin)."""

    def filters(self):
        return {"toml_value": toml_value}
