"""``schoolnet-collector devices import FILE``: purchase years and lab rooms from the Sở's
equipment file (see ``registry/equipment.py``)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schoolnet_collector.commands.common import add_config_option, settings_or_exit
from schoolnet_collector.registry.equipment import EquipmentFileError, import_equipment


def register(sub) -> None:
    p = sub.add_parser("devices", help="manage the registry's equipment records")
    dsub = p.add_subparsers(dest="devices_command", required=True, metavar="ACTION")
    imp = dsub.add_parser("import", help="import purchase years and lab rooms from CSV (UTF-8)")
    add_config_option(imp)
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=run_import)


def run_import(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args)
    from schoolnet_collector.registry.db import make_engine, migrate, session_factory

    engine = make_engine(settings.registry.url)
    migrate(engine)
    try:
        with session_factory(engine)() as session:
            result = import_equipment(session, args.file)
    except EquipmentFileError as exc:
        print(f"schoolnet-collector: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    for problem in result.errors:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"imported {result.imported} devices ({result.created} not heard from yet, "
          f"{len(result.errors)} rows skipped)")
    return 1 if result.errors else 0
