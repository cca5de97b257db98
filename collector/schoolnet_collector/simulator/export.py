"""Write the simulated fleet's schools as the registry's school file (CSV or YAML), and its
devices as the equipment file (CSV: purchase years and lab rooms).

The collector only accepts reports from registered schools, so a simulation starts by
registering its schools. The registry reads the first five columns (id, name, province,
district, level) and ignores the rest; the extra columns help a person reading the file.
"""

from __future__ import annotations

import csv
from pathlib import Path

import yaml

from schoolnet_collector.simulator.model import School

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


def export_format(path: str | Path) -> str:
    """``csv`` or ``yaml`` from the file name; ValueError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--export-schools {path}: the file name must end in .csv, .yaml or .yml")
    return FORMATS[suffix]


def write_schools(path: str | Path, schools: list[School]) -> None:
    path = Path(path)
    rows = [school.registry_row() for school in schools]
    if export_format(path) == "csv":
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
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
