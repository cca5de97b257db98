"""The school file's two-tier columns: ``commune``, ``managing_body``, ``legacy_province``.

A school file with a ``commune`` column speaks of today's units, so it is checked as a whole
before anything is written: a commune the registry does not have (import the units first), a
school listed in two communes, a school of several levels (``lien_cap``) whose row does not
say who runs it. An empty commune cell is allowed: the school is "chưa gán xã" until it has
one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from schoolnet_agent.protocol.topics import ID_RE
from schoolnet_collector.registry.units import (
    BODY_BY_LEVEL,
    MANAGING_BODIES,
    communes,
)

COLUMNS = ("commune", "managing_body", "legacy_province")


@dataclass(frozen=True)
class Placement:
    commune: str | None
    managing_body_override: str | None
    legacy_province: str | None


def has_communes(rows: list[tuple[int, Any]]) -> bool:
    """Whether the file is of the two-tier kind (and so all-or-nothing)."""
    return any(isinstance(row, dict) and "commune" in row for _, row in rows)


def _cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def check_placement(
    row: dict[str, Any],
    known_communes: set[str],
    seen: dict[str, tuple[int, str | None]],
    line: int,
) -> Placement | str:
    """The row's placement, or ``"column: reason"`` for its first wrong cell."""
    commune = _cell(row, "commune") or None
    if commune is not None and commune not in known_communes:
        if not ID_RE.match(commune):
            return f"commune: {commune!r} is not a unit code"
        return f"commune: {commune!r} is not a commune in the registry (run 'units import' first)"
    earlier = seen.get(str(row["id"]))
    if earlier is not None and earlier[1] != commune:
        return (
            f"commune: school {row['id']!r} is in two communes "
            f"({earlier[1] or 'none'!s} at line {earlier[0]}, {commune or 'none'!s} here)"
        )
    body = _cell(row, "managing_body") or None
    if body is not None and body not in MANAGING_BODIES:
        return f"managing_body: {body!r} is not one of {', '.join(MANAGING_BODIES)}"
    if commune is not None and body is None and row.get("level") not in BODY_BY_LEVEL:
        return (
            f"managing_body: level {row.get('level')!r} has no managing-body rule; "
            f"say {' or '.join(MANAGING_BODIES)} in this column"
        )
    legacy = _cell(row, "legacy_province") or None
    if legacy is not None and not ID_RE.match(legacy):
        return f"legacy_province: {legacy!r} must be an id (lowercase letters, digits, '-', '_')"
    return Placement(commune, body, legacy)


def known_communes(session: Session) -> set[str]:
    return set(communes(session))
