"""``schoolnet-collector units import [--dry-run] FILE``: the province's communes, wards and the
old districts and provinces, from the planners' CSV or XLSX, all or nothing."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from schoolnet_collector.commands.common import add_import_command, fail, open_registry

if TYPE_CHECKING:
    from schoolnet_collector.commands.common import Subcommands


def register(sub: Subcommands) -> None:
    imp = add_import_command(
        sub,
        "units",
        "manage the registry's units (province, communes, former districts and provinces)",
        "import units from CSV (UTF-8, with or without BOM) or XLSX; all rows or none",
        run_import,
    )
    imp.add_argument(
        "--dry-run", action="store_true", help="print what would change and write nothing"
    )


def run_import(args: argparse.Namespace) -> int:
    from schoolnet_collector.registry.table_file import TableFileError
    from schoolnet_collector.registry.unit_import import apply_units, plan_units
    from schoolnet_collector.registry.units import unassigned_schools

    try:
        with open_registry(args)() as session:
            plan = plan_units(session, args.file)
            if plan.errors:
                for problem in plan.errors:
                    print(f"error {problem}", file=sys.stderr)
                print(f"nothing imported: {len(plan.errors)} rows wrong")
                return 1
            for line in plan.diff_lines():
                print(line)
            if not args.dry_run:
                apply_units(session, plan)
            unassigned = unassigned_schools(session)
    except TableFileError as exc:
        return fail(str(exc))
    verb = "would import" if args.dry_run else "imported"
    print(
        f"{verb} units: {len(plan.added)} new, {len(plan.changed)} changed, "
        f"{plan.unchanged} unchanged; {unassigned} schools without a commune (chưa gán xã)"
    )
    return 0
