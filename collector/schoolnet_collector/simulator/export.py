"""Write the simulated fleet's schools as the registry's school file (CSV or YAML), its
devices as the equipment file (CSV: purchase years and lab rooms), and for a format 2 profile
its units file (CSV, for ``units import``) and its plans (targets files for ``[planning]``).

The collector only accepts reports from registered schools, so a simulation starts by
registering its schools. The registry reads the first five columns (id, name, province,
district, level) and ignores the rest; the extra columns help a person reading the file.

A school file with a ``commune`` column is all or nothing, and a registry without those
communes refuses all of it. So the communes go into the school file only when the units file
is written with it (``--export-units``): the two then agree, and the units are imported first.
A school file written alone stays of the old kind (every school "chưa gán xã").
"""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from schoolnet_collector.simulator.model import TWO_TIER_COLUMNS, School
from schoolnet_collector.simulator.profile import Profile

COLUMNS = (
    "id",
    "name",
    "province",
    "district",
    "level",
    "district_name",
    "level_name",
    "uplink",
    "isp",
    "lab_rooms",
    "students",
)
# The registry's equipment file (``schoolnet-collector devices import``).
DEVICE_COLUMNS = ("school", "device", "kind", "purchase_year", "room")
FORMATS = {".csv": "csv", ".yaml": "yaml", ".yml": "yaml"}
# The registry's units file (``schoolnet-collector units import``).
UNIT_COLUMNS = ("code", "name", "type", "parent", "valid_from", "valid_to")
TWO_TIERS_FROM, DISTRICTS_UNTIL = "2025-07-01", "2025-06-30"
PLANS_SNIPPET = "plans.toml"


def export_format(path: str | Path) -> str:
    """``csv`` or ``yaml`` from the file name; ValueError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--export-schools {path}: the file name must end in .csv, .yaml or .yml")
    return FORMATS[suffix]


def write_schools(path: str | Path, schools: list[School], two_tier: bool = False) -> None:
    """``two_tier``: with the commune and old province of each school (see above)."""
    path = Path(path)
    rows = [school.registry_row(two_tier) for school in schools]
    if export_format(path) == "csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            columns = COLUMNS + (TWO_TIER_COLUMNS if two_tier else ())
            writer = csv.DictWriter(f, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    else:
        path.write_text(yaml.safe_dump(rows, allow_unicode=True, sort_keys=False), encoding="utf-8")


def write_devices(path: str | Path, schools: list[School]) -> None:
    """Every device with its purchase year and lab room, broken ones included: the Sở's
    equipment list knows them even though they never report."""
    path = Path(path)
    if path.suffix.lower() != ".csv":
        raise ValueError(f"--export-devices {path}: the file name must end in .csv")
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(DEVICE_COLUMNS)
        for school in schools:
            for d in school.devices:
                writer.writerow(
                    (school.id, d.id, d.kind, d.year, f"lab{d.room}" if d.room is not None else "")
                )


def read_schools(path: str | Path) -> list[dict[str, object]]:
    """Read a school file back (CSV values are strings; YAML keeps numbers)."""
    path = Path(path)
    if export_format(path) == "csv":
        with path.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def check_units_path(path: str | Path) -> None:
    if Path(path).suffix.lower() != ".csv":
        raise ValueError(f"--export-units {path}: the file name must end in .csv")


def unit_rows(profile: Profile) -> list[dict[str, str]]:
    """The province, its old provinces and districts (ended 30 June 2025) and its communes
    (from 1 July 2025), parents first: what ``units import`` takes."""
    if not profile.two_tier:
        raise ValueError("the profile is format 1: it has no communes or old provinces")
    rows = [_unit(profile.province_id, profile.province_name, "tinh", "", TWO_TIERS_FROM, "")]
    for part in profile.fleets():
        legacy = part.legacy_province
        assert legacy is not None
        rows.append(
            _unit(legacy.id, legacy.name, "tinh_cu", profile.province_id, "", DISTRICTS_UNTIL)
        )
        for d in part.districts:
            rows.append(_unit(d.id, d.name, d.type, legacy.id, "", DISTRICTS_UNTIL))
    for part in profile.fleets():
        for d in part.districts:
            for c in d.communes:
                rows.append(_unit(c.code, c.name, c.type, profile.province_id, TWO_TIERS_FROM, ""))
    return rows


def _unit(code: str, name: str, kind: str, parent: str, start: str, end: str) -> dict[str, str]:
    return dict(zip(UNIT_COLUMNS, (code, name, kind, parent, start, end), strict=True))


def write_units(path: str | Path, profile: Profile) -> int:
    """The units file as CSV; returns the number of units."""
    check_units_path(path)
    rows = unit_rows(profile)
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=UNIT_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def write_plans(directory: str | Path, profile: Profile) -> list[Path]:
    """One targets file per plan, ``<plan id>.yaml``, and ``plans.toml``: the collector's
    ``[planning]`` section listing them in the profile's order (the first is measured
    against the province as a whole). No plans: nothing is written."""
    directory = Path(directory)
    if not profile.plans:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for plan in profile.plans:
        path = directory / f"{plan.id}.yaml"
        path.write_text(
            "# Written by schoolnet-collector simulate --export-plans from the profile's plans.\n"
            "---\n" + yaml.safe_dump(plan.targets_file, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        paths.append(path.resolve())
    listed = ", ".join(_toml_string(str(p)) for p in paths)
    (directory / PLANS_SNIPPET).write_text(f"[planning]\nplans = [{listed}]\n", encoding="utf-8")
    return paths


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
