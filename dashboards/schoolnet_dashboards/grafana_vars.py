"""Replace dashboard variables in a raw InfluxQL query the way Grafana does before it runs it.

No Grafana runs where the dashboards are tested, so the queries are interpolated here and run
against a real InfluxDB. The rules follow Grafana's InfluxDB data source (10.x/11.x):

* Template variables in a raw InfluxQL query are formatted as ``regex``: a single value is
  regex-escaped (``\\^$*+?.()|[]{}/``; ``-`` is left alone); several values become
  ``(a|b)``, each escaped. The frontend path of older releases (``interpolateQueryStr``)
  differs only for one value picked in a multi-value variable: ``(a)`` instead of ``a``.
* *All* with a custom all value (``allValue``) inserts that value unformatted (``.*``);
  without one, *All* means every option's value, formatted as above.
* ``$timeFilter``, ``$__interval`` and ``$interval`` are not template variables: the data
  source (since 10.x its Go backend) substitutes them as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ALL = "$__all"
# $name, ${name}, ${name:format}, [[name]], [[name:format]] (Grafana's variableRegex, simplified)
VARIABLE_RE = re.compile(
    r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.[^:^}]+)?(?::([^}]+))?\}"
)
_REGEX_SPECIAL = re.compile(r"[\\^$*+?.()|\[\]{}/]")
BUILTINS = ("timeFilter", "__interval", "interval", "__interval_ms")


def escape_regex(value: str) -> str:
    return _REGEX_SPECIAL.sub(lambda m: "\\" + m.group(0), value)


@dataclass
class Variable:
    """What interpolation needs of a dashboard variable, and what is selected now."""

    name: str
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None
    options: list[str] = field(default_factory=list)  # values the variable's query returned
    current: str | list[str] = ""  # a value, a list of them, or ALL

    @classmethod
    def from_json(
        cls, var: dict[str, Any], options: list[str], current: str | list[str]
    ) -> Variable:
        """From the dashboard's JSON for the variable, its query's values, the selection."""
        return cls(
            var["name"],
            bool(var.get("multi")),
            bool(var.get("includeAll")),
            var.get("allValue") or None,
            list(options),
            current,
        )


def format_regex(value: str | list[str], frontend: bool = False) -> str:
    if isinstance(value, str):
        return escape_regex(value)
    escaped = [escape_regex(v) for v in value]
    if len(escaped) == 1 and not frontend:
        return escaped[0]
    return "(" + "|".join(escaped) + ")"


def variable_value(var: Variable, frontend: bool = False) -> str:
    current = var.current
    if current == ALL or (isinstance(current, list) and current[:1] == [ALL]):
        if var.all_value:
            return var.all_value  # custom all value: not formatted
        current = list(var.options)
    if frontend and not var.multi and not var.include_all:
        return current if isinstance(current, str) else ",".join(current)
    return format_regex(current, frontend)


def interpolate(
    query: str, variables: dict[str, Variable], builtins: dict[str, str], frontend: bool = False
) -> str:
    """``query`` with every known variable replaced; unknown ones are left as Grafana leaves
    them (so a test can find them). ``builtins`` holds timeFilter and the interval macros."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(4)
        if name in builtins:
            return builtins[name]
        var = variables.get(name)
        if var is None:
            return match.group(0)
        fmt = match.group(3) or match.group(5)
        if fmt and fmt != "regex":
            raise ValueError(f"${{{name}:{fmt}}}: only the regex format is modelled here")
        return variable_value(var, frontend)

    return VARIABLE_RE.sub(replace, query)


def unresolved(query: str) -> list[str]:
    """Names of variables still left in an interpolated query."""
    return [m.group(1) or m.group(2) or m.group(4) for m in VARIABLE_RE.finditer(query)]
