"""``schoolnet-collector schools import FILE``: load or update the registry's school list."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schoolnet_collector.commands.common import add_config_option, settings_or_exit
from schoolnet_collector.registry.schools import SchoolFileError, import_schools


def register(sub) -> None:
    p = sub.add_parser("schools", help="manage the registry's school list")
    ssub = p.add_subparsers(dest="schools_command", required=True, metavar="ACTION")
    imp = ssub.add_parser("import", help="import schools from CSV (UTF-8) or YAML")
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
            result = import_schools(session, args.file)
    except SchoolFileError as exc:
        print(f"schoolnet-collector: {exc}", file=sys.stderr)
        return 2
    for problem in result.errors:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"imported {result.imported} schools ({len(result.errors)} rows skipped)")
    return 1 if result.errors else 0
