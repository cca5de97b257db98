"""``schoolnet-collector devices import FILE``: purchase years and lab rooms from the Sở's
equipment file (see ``registry/equipment.py``)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from schoolnet_collector.commands.common import (
    add_import_command,
    fail,
    finish_import,
    open_registry,
)

if TYPE_CHECKING:
    from schoolnet_collector.commands.common import Subcommands


def register(sub: Subcommands) -> None:
    add_import_command(
        sub,
        "devices",
        "manage the registry's equipment records",
        "import purchase years and lab rooms from CSV (UTF-8)",
        run_import,
    )


def run_import(args: argparse.Namespace) -> int:
    from schoolnet_collector.registry.equipment import EquipmentFileError, import_equipment

    try:
        with open_registry(args)() as session:
            result = import_equipment(session, args.file)
    except EquipmentFileError as exc:
        return fail(str(exc))
    return finish_import(
        result.errors,
        f"imported {result.imported} devices ({result.created} "
        f"not heard from yet, {len(result.errors)} rows skipped)",
    )
