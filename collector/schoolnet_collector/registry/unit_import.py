"""``units import``: the province's units from a planner's file, all or nothing.

A units file is the official list with our own codes where it has none; a half-applied one
would leave communes without their province, so every row is checked against the file and
the registry first, and one wrong row (named with its row number and column) stops the whole
import. Units missing from the file stay: schools and old plans may still name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolnet_collector.registry.models import Unit
from schoolnet_collector.registry.table_file import read_table
from schoolnet_collector.registry.unit_file import ALIASES, REQUIRED, RowError, UnitRow, check_row
from schoolnet_collector.registry.units import PARENT_OPTIONAL, PARENT_TYPES

FIELDS = ("name", "type", "parent", "valid_from", "valid_to")


@dataclass
class UnitPlan:
    """What the file would change: new units, changed fields, or the errors that stop it."""

    added: list[UnitRow] = field(default_factory=list)
    changed: list[tuple[str, dict[str, tuple[object, object]]]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    rows: list[UnitRow] = field(default_factory=list)

    def diff_lines(self) -> list[str]:
        lines = [
            f"+ {u.code} {u.name!r} {u.type}" + (f" in {u.parent}" if u.parent else "")
            for u in self.added
        ]
        for code, fields in self.changed:
            moves = "; ".join(f"{k}: {old!r} -> {new!r}" for k, (old, new) in fields.items())
            lines.append(f"~ {code} {moves}")
        return lines


def _chain_problem(code: str, parents: dict[str, str | None]) -> str | None:
    seen = [code]
    parent = parents.get(code)
    while parent is not None:
        if parent in seen:
            return "parents form a cycle: " + " -> ".join([*seen[seen.index(parent) :], parent])
        seen.append(parent)
        parent = parents.get(parent)
    return None


def plan_units(session: Session, path: Path) -> UnitPlan:
    """Check the whole file against itself and the registry; nothing is written."""
    plan, name = UnitPlan(), Path(path).name
    wrong: list[tuple[int, str]] = []  # (row, message): reported in the file's order
    known = {u.code: u for u in session.scalars(select(Unit))}
    rows: dict[str, tuple[int, UnitRow]] = {}
    for number, raw in read_table(Path(path), ALIASES, REQUIRED):
        try:
            unit = check_row(raw)
            if unit.code in rows:
                first, earlier = rows[unit.code]
                how = "reused with another name" if earlier.name != unit.name else "appears twice"
                raise RowError("code", f"{unit.code!r} {how} (row {first})")
            old = known.get(unit.code)
            if old is not None and old.name != unit.name:
                raise RowError(
                    "code",
                    f"{unit.code!r} is already {old.name!r} in the registry, not {unit.name!r}",
                )
        except RowError as exc:
            wrong.append((number, f"{name}:{number}: {exc.column}: {exc}"))
            continue
        rows[unit.code] = (number, unit)
    types = {c: u.type for c, u in known.items()} | {c: u.type for c, (_, u) in rows.items()}
    parents = {c: u.parent for c, u in known.items()} | {c: u.parent for c, (_, u) in rows.items()}
    for number, unit in rows.values():
        problem = _parent_problem(unit, types, parents)
        if problem:
            wrong.append((number, f"{name}:{number}: parent: {problem}"))
    if wrong:
        plan.errors = [message for _, message in sorted(wrong)]
        return plan
    for _number, unit in rows.values():
        plan.rows.append(unit)
        old = known.get(unit.code)
        if old is None:
            plan.added.append(unit)
            continue
        moved = {
            k: (getattr(old, k), getattr(unit, k))
            for k in FIELDS
            if getattr(old, k) != getattr(unit, k)
        }
        if moved:
            plan.changed.append((unit.code, moved))
        else:
            plan.unchanged += 1
    return plan


def _parent_problem(
    unit: UnitRow, types: dict[str, str], parents: dict[str, str | None]
) -> str | None:
    cycle = _chain_problem(unit.code, parents)
    if cycle:
        return cycle
    allowed = PARENT_TYPES[unit.type]
    if unit.parent is None:
        if allowed and unit.type not in PARENT_OPTIONAL:
            return f"a unit of type {unit.type} needs a parent of type {' or '.join(allowed)}"
        return None
    if unit.parent not in types:
        return f"{unit.parent!r} is neither in the file nor in the registry"
    if not allowed:
        return f"a unit of type {unit.type} has no parent (found {unit.parent!r})"
    if types[unit.parent] not in allowed:
        return (
            f"{unit.parent!r} is of type {types[unit.parent]}; "
            f"a {unit.type} sits in a {' or '.join(allowed)}"
        )
    return None


def _depth(code: str, parents: dict[str, str | None]) -> int:
    depth, parent = 0, parents.get(code)
    while parent is not None:
        depth, parent = depth + 1, parents.get(parent)
    return depth


def apply_units(session: Session, plan: UnitPlan) -> None:
    """Write a plan without errors, parents before children, in one transaction."""
    assert not plan.errors, "a plan with errors is never applied"
    now = datetime.now(timezone.utc)
    parents = {u.code: u.parent for u in plan.rows}
    for unit in sorted(plan.rows, key=lambda u: _depth(u.code, parents)):
        row = session.get(Unit, unit.code) or Unit(code=unit.code)
        for k in FIELDS:
            setattr(row, k, getattr(unit, k))
        row.updated_at = now
        session.add(row)
        session.flush()
    session.commit()
