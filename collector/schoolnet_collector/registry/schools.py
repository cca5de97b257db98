"""Import the school list (CSV or YAML) into the registry.

A Sở keeps its school list in a spreadsheet, so CSV (UTF-8, header row) is the main format;
YAML (a list of mappings) suits hand-edited test fleets. Columns: ``id, name, province,
district, level`` required (``district`` is the school's district before 1 July 2025, kept as
``legacy_district``), ``district_name`` and ``students`` (enrolment) optional, others ignored.

A file without a ``commune`` column is of the old kind: every bad row is reported with its line
number and good rows are imported all the same, as collectors have always loaded it. A file
with ``commune`` (and optionally ``managing_body``, ``legacy_province``; see
``school_communes``) or with ``site_of`` (a site of a unit, not a school; see ``sites``) is
all-or-nothing: one bad row and nothing is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from schoolnet_agent.protocol.topics import ID_RE
from schoolnet_collector.registry.db import upsert
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.school_communes import (
    Placement,
    check_placement,
    has_communes,
    known_communes,
)
from schoolnet_collector.registry.sites import (
    SITE_LEVEL,
    cell as site_cell,
    check_site,
    has_sites,
    name_column,
    site_commune,
    site_units,
)

REQUIRED = ("id", "name", "province", "district", "level")
# Every column a row of the file sets; an import overwrites them, the rest of a school stays.
UPSERT_COLUMNS = (
    "name",
    "province",
    "legacy_district",
    "level",
    "district_name",
    "students",
    "updated_at",
)
PLACEMENT_COLUMNS = ("commune", "managing_body_override", "legacy_province")
SITE_COLUMNS = ("site_of",)
LEVELS = ("mam_non", "tieu_hoc", "thcs", "thpt", "gdtx", "lien_cap", "other")
FileRow = Any
"""A row as the file has it: a CSV row's strings (None where a short row stops) or whatever
a YAML list holds. Nothing is assumed of it until ``check_row`` (or the contacts' and
equipment's own checks) has looked."""


class SchoolFileError(ValueError):
    """The file as a whole cannot be read (missing, wrong format, no header)."""


@dataclass
class ImportResult:
    imported: int = 0
    errors: list[str] = field(default_factory=list)
    all_or_nothing: bool = False  # a two-tier file: any error means nothing was written
    sites: int = 0  # of ``imported``, the sites of units (not schools)


def read_rows(
    path: Path, required: tuple[str, ...] = REQUIRED, what: str = "schools"
) -> list[tuple[int, FileRow]]:
    """(line number, row) pairs from a CSV or YAML file of ``what`` (schools, contacts…)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SchoolFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SchoolFileError(
            f"{path}: not UTF-8 text (save the spreadsheet as CSV UTF-8)"
        ) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise SchoolFileError(f"{path}: header lacks column(s) {', '.join(missing)}")
        return [(reader.line_num, row) for row in reader]
    if suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SchoolFileError(f"{path}: not valid YAML: {exc}") from None
        if isinstance(data, dict) and what in data:
            data = data[what]
        if not isinstance(data, list):
            raise SchoolFileError(f"{path}: expected a list of {what}")
        return [(i + 1, row) for i, row in enumerate(data)]
    raise SchoolFileError(f"{path}: unknown format {suffix!r}; use .csv, .yaml or .yml")


def check_row(row: FileRow) -> str | None:
    """The problem with one row, or None."""
    if not isinstance(row, dict):
        return "not a mapping"
    site = bool(site_cell(row, "site_of"))
    for key in REQUIRED:
        value = row.get(key)
        if (value is None or not str(value).strip()) and not (site and key == "level"):
            return f"{key} is empty"
    if not ID_RE.match(str(row["id"])):
        return f"id {row['id']!r} must be lowercase letters, digits, '-' or '_' (max 63)"
    for key in ("province", "district"):
        if not ID_RE.match(str(row[key])):
            return f"{key} {row[key]!r} must be an id (lowercase letters, digits, '-', '_')"
    if not site and row["level"] not in LEVELS:
        return f"level {row['level']!r} is not one of {', '.join(LEVELS)}"
    if students_of(row) == -1:
        return f"students {row.get('students')!r} must be a whole number >= 0 (or empty)"
    return None


def students_of(row: FileRow) -> int | None:
    """Enrolment from the optional ``students`` column: None when empty, -1 when invalid."""
    value = row.get("students")
    if value is None or str(value).strip() == "":
        return None
    text = str(value).strip()
    return int(text) if text.isdigit() else -1


def import_schools(session: Session, path: Path, province: str | None = None) -> ImportResult:
    """Insert or update every good row in one upsert, so two collectors importing the same
    file at once (both started on a fresh registry) both succeed with the same result.

    ``province`` is the configured province's id: a ``site_of`` may name it even when the
    registry has no units yet."""
    result = ImportResult()
    now = datetime.now(timezone.utc)
    rows: dict[str, dict[str, object]] = {}
    file_rows = read_rows(path)
    try:
        file_rows = name_column(file_rows, Path(path))
    except ValueError as exc:
        raise SchoolFileError(str(exc)) from None
    two_tier = has_communes(file_rows)
    sited = has_sites(file_rows)
    result.all_or_nothing = two_tier or sited
    communes = known_communes(session) if two_tier else set()
    units = site_units(session) if sited else {}
    seen: dict[str, tuple[int, str | None]] = {}
    for line, row in file_rows:
        problem = check_row(row)
        placement: Placement | str | None = None
        site = site_cell(row, "site_of") if problem is None else ""
        if site:
            problem = check_site(row, units, province)
            placement = Placement(site_commune(site, units), None, None)
        elif problem is None and two_tier:
            placement = check_placement(row, communes, seen, line)
            if isinstance(placement, str):
                problem = placement
            else:
                seen.setdefault(str(row["id"]), (line, placement.commune))
        if problem is None and row["id"] in rows:
            problem = f"id {row['id']!r} appears twice"
        if problem:
            result.errors.append(f"{Path(path).name}:{line}: {problem}")
            continue
        rows[row["id"]] = {
            "id": row["id"],
            "name": str(row["name"]).strip(),
            "province": row["province"],
            "legacy_district": row["district"],
            "legacy_province": row["province"],  # a new school's old plan: its own province
            "level": SITE_LEVEL if site else row["level"],
            "district_name": str(row.get("district_name") or "").strip() or None,
            "students": students_of(row),
            "updated_at": now,
        }
        if isinstance(placement, Placement):
            rows[row["id"]].update(
                commune=placement.commune,
                managing_body_override=placement.managing_body_override,
                legacy_province=placement.legacy_province or row["province"],
            )
        if sited:
            rows[row["id"]]["site_of"] = site or None
    if result.all_or_nothing and result.errors:
        session.rollback()
        return result  # all or nothing: the errors name every row to fix
    # A site is always placed (its commune is its unit's); a school only by a two-tier file.
    site_rows = [r for r in rows.values() if r.get("site_of")]
    school_rows = [r for r in rows.values() if not r.get("site_of")]
    _upsert(session, site_rows, UPSERT_COLUMNS + PLACEMENT_COLUMNS + SITE_COLUMNS)
    _upsert(
        session,
        school_rows,
        UPSERT_COLUMNS + (PLACEMENT_COLUMNS if two_tier else ()) + (SITE_COLUMNS if sited else ()),
    )
    session.expire_all()  # School objects loaded earlier in this session are stale now
    session.commit()
    result.imported = len(rows)
    result.sites = len(site_rows)
    return result


def _upsert(session: Session, rows: list[dict[str, object]], columns: tuple[str, ...]) -> None:
    if not rows:
        return
    statement = upsert(session, School)
    updated = {c: statement.excluded[c] for c in columns}
    session.execute(statement.on_conflict_do_update(index_elements=[School.id], set_=updated), rows)
