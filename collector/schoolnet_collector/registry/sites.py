"""Sites of a unit: the Sở's own office, a commune's office. Not schools.

They have devices and links worth watching, so a site is a row of the ``schools`` table: its
agents publish under its id, the broker's ACL, devices, rules, incidents, contacts and
notifications treat it as they treat a school. What it is not is a school: every school
indicator (readiness, procurement, the communes' and districts' counts) leaves it out through
``schools_only()``, or the Sở's own lab would make the province one school larger and, while
it is online, one school better connected than it is.

In the school file a site is a row whose ``site_of`` cell names its unit: the province (the
configured province id, or a province in the registry) or a commune in the registry. Its level
is empty or ``other``; it has no managing body (nobody "runs" an office as a school), and a
commune cell, if any, is its own commune.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from schoolnet_agent.protocol.topics import ID_RE
from schoolnet_collector.registry.models import School, Unit
from schoolnet_collector.registry.table_file import fold
from schoolnet_collector.registry.units import COMMUNE_TYPES, PROVINCE_TYPES

COLUMN = "site_of"
HEADERS = ("site_of", "site of", "thuộc đơn vị", "điểm của đơn vị")
"""The headers that name the column (folded as ``table_file`` folds them: "Thuộc đơn vị" too)."""
SITE_UNIT_TYPES = PROVINCE_TYPES + COMMUNE_TYPES
SITE_LEVEL = "other"


def schools_only() -> ColumnElement[bool]:
    """The where-clause of every school indicator: a site is never counted as a school."""
    return School.site_of.is_(None)


def name_column(rows: list[tuple[int, Any]], source: Path) -> list[tuple[int, Any]]:
    """The rows with the site column under its one name, whichever header the file used.

    ValueError when two headers of one row name it (a sheet with both "site_of" and "Thuộc
    đơn vị" would otherwise keep one of them silently)."""
    folded = {fold(h) for h in HEADERS}
    out = []
    for line, row in rows:
        if isinstance(row, dict):
            keys = [k for k in row if isinstance(k, str) and fold(k) in folded]
            if len(keys) > 1:
                raise ValueError(f"{source}: the header names site_of twice ({', '.join(keys)})")
            if keys and keys[0] != COLUMN:
                row = {(COLUMN if k == keys[0] else k): v for k, v in row.items()}
        out.append((line, row))
    return out


def has_sites(rows: list[tuple[int, Any]]) -> bool:
    """Whether the file has the site column (and so is checked all or nothing)."""
    return any(isinstance(row, dict) and COLUMN in row for _, row in rows)


def cell(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def site_units(session: Session) -> dict[str, str]:
    """code -> type of every unit a site may belong to."""
    query = select(Unit.code, Unit.type).where(Unit.type.in_(SITE_UNIT_TYPES))
    return {str(code): str(kind) for code, kind in session.execute(query)}


def check_site(row: dict[str, Any], units: dict[str, str], province: str | None) -> str | None:
    """``"column: reason"`` for the first wrong cell of a site's row, or None."""
    site = cell(row, COLUMN)
    if not ID_RE.match(site):
        return f"site_of: {site!r} is not a unit code (lowercase letters, digits, '-', '_')"
    if site != province and site not in units:
        where = f"nor the configured province {province!r}" if province else ""
        return (
            f"site_of: {site!r} is not a province or commune in the registry {where}".rstrip()
            + " (run 'units import' first)"
        )
    if cell(row, "level") not in ("", SITE_LEVEL):
        return (
            f"level: a site of a unit has no school level ({cell(row, 'level')!r}); "
            f"leave it empty or write {SITE_LEVEL}"
        )
    if cell(row, "managing_body"):
        return "managing_body: a site of a unit is not run as a school; leave it empty"
    commune = cell(row, "commune")
    if commune and commune != site:
        return f"commune: a site of {site!r} cannot be in commune {commune!r}; leave it empty"
    return None


def site_commune(site: str, units: dict[str, str]) -> str | None:
    """The commune a site is placed in: its own unit when that is a commune."""
    return site if units.get(site) in COMMUNE_TYPES else None
