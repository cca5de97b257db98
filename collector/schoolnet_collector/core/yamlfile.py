"""YAML files people edit by hand (rules, calendars): every mistake reported with its line.

PyYAML's composed node tree keeps the line of each key and value; pydantic's error locations
are walked down that tree, so a message points at the line to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from pydantic import ValidationError


class YamlFileError(ValueError):
    """The file cannot be used; the message names each mistake with its line."""


def load(text: str, name: str) -> tuple[Any, yaml.Node | None]:
    """(data, node tree) of a YAML document; a syntax error names its line. The data is
    whatever the file holds: the caller's pydantic model decides what it may be."""
    try:
        return yaml.safe_load(text), yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        raise YamlFileError(
            f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}"
        ) from None


def describe(
    exc: ValidationError, node: yaml.Node | None, name: str, prefix: tuple[str | int, ...] = ()
) -> list[str]:
    """One ``file:line: key: reason`` per pydantic error; ``prefix`` is where ``node`` sits."""
    out = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        key = ".".join(str(p) for p in (*prefix, *loc)) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        out.append(f"{name}:{line_of(node, loc)}: {key}: {msg}")
    return out


def line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int:
    """The 1-based line of the deepest key ``loc`` reaches (the parent's, for a missing key)."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == str(part)), None)
            if found is None:
                return line
            line, node = found[0].start_mark.line + 1, found[1]  # the key's line
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    """The value node under ``key`` (a mapping) or index ``key`` (a sequence), or None."""
    # PyYAML's stubs leave ``value`` untyped; for these two node kinds it is always this.
    if isinstance(node, yaml.MappingNode):
        pairs: list[tuple[yaml.Node, yaml.Node]] = node.value
        return next((v for k, v in pairs if k.value == key), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        items: list[yaml.Node] = node.value
        return items[key]
    return None
