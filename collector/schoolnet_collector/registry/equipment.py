"""Import the Sở's equipment file (CSV): purchase year and lab room of each device.

A device registers itself on its first report, but the planners' questions need what no
report carries: when the province bought it, and which lab room it stands in (a room is
replaced as a whole). The equipment file also lists devices that never report (broken,
switched off, in a school without internet): they count as inventoried, not as working.

Columns (UTF-8, header row): ``school, device, kind`` required; ``purchase_year`` and
``room`` optional. Every bad row is reported with its line number; good rows are imported.
A device not heard from yet is created with ``first_seen = last_seen = NEVER_HEARD`` (the
Unix epoch), so it never looks online until it reports.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolnet_agent.protocol.topics import ID_RE
from schoolnet_collector.registry.models import Device, School
from schoolnet_collector.registry.schools import FileRow

REQUIRED = ("school", "device", "kind")
KINDS = (
    "gateway",
    "lab_pc",
    "admin_pc",
    "teacher_pc",
    "projector",
    "board",
    "printer",
    "camera",
    "router",
    "other",
)
NEVER_HEARD = datetime(1970, 1, 1, tzinfo=timezone.utc)
YEARS = (1980, 2100)


class EquipmentFileError(ValueError):
    """The file as a whole cannot be read (missing, not UTF-8, no header)."""


@dataclass
class EquipmentResult:
    imported: int = 0
    created: int = 0  # devices not heard from yet
    errors: list[str] = field(default_factory=list)


def read_equipment(path: Path) -> list[tuple[int, FileRow]]:
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise EquipmentFileError(f"{path}: the equipment file must be CSV (.csv)")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise EquipmentFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise EquipmentFileError(
            f"{path}: not UTF-8 text (save the spreadsheet as CSV UTF-8)"
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise EquipmentFileError(f"{path}: header lacks column(s) {', '.join(missing)}")
    return [(reader.line_num, row) for row in reader]


def check_equipment_row(row: FileRow, schools: set[str]) -> str | None:
    """The problem with one row, or None."""
    for key in REQUIRED:
        if not str(row.get(key) or "").strip():
            return f"{key} is empty"
    for key in ("school", "device"):
        if not ID_RE.match(row[key]):
            return f"{key} {row[key]!r} must be an id (lowercase letters, digits, '-', '_')"
    if row["school"] not in schools:
        return f"school {row['school']!r} is not in the registry (import the school file first)"
    if row["kind"] not in KINDS:
        return f"kind {row['kind']!r} is not one of {', '.join(KINDS)}"
    year = str(row.get("purchase_year") or "").strip()
    if year and not (year.isdigit() and YEARS[0] <= int(year) <= YEARS[1]):
        return f"purchase_year {year!r} must be a year between {YEARS[0]} and {YEARS[1]} (or empty)"
    if len(str(row.get("room") or "")) > 63:
        return "room is longer than 63 characters"
    return None


def import_equipment(session: Session, path: Path) -> EquipmentResult:
    result = EquipmentResult()
    schools = set(session.scalars(select(School.id)))
    existing = {(d.school_id, d.device_id): d for d in session.scalars(select(Device))}
    seen: set[tuple[str, str]] = set()
    for line, row in read_equipment(path):
        problem = check_equipment_row(row, schools)
        key: tuple[str, str] = (row.get("school"), row.get("device"))
        if problem is None and key in seen:
            problem = f"device {key[0]}/{key[1]} appears twice"
        if problem:
            result.errors.append(f"{Path(path).name}:{line}: {problem}")
            continue
        seen.add(key)
        device = existing.get(key)
        if device is None:
            device = Device(
                school_id=key[0],
                device_id=key[1],
                kind=row["kind"],
                first_seen=NEVER_HEARD,
                last_seen=NEVER_HEARD,
            )
            result.created += 1
        year = str(row.get("purchase_year") or "").strip()
        device.purchase_year = int(year) if year else None
        device.room = str(row.get("room") or "").strip() or None
        session.add(device)
        result.imported += 1
    session.commit()
    return result
