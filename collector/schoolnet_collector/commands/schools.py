"""``schoolnet-collector schools import FILE``: load or update the registry's school list."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from schoolnet_collector.commands.common import (
    add_import_command,
    fail,
    finish_import,
    open_registry,
    settings_or_exit,
)

if TYPE_CHECKING:
    from schoolnet_collector.commands.common import Subcommands


def register(sub: Subcommands) -> None:
    add_import_command(
        sub,
        "schools",
        "manage the registry's school list",
        "import schools from CSV (UTF-8) or YAML",
        run_import,
    )


def run_import(args: argparse.Namespace) -> int:
    from schoolnet_collector.registry.schools import SchoolFileError, import_schools

    try:
        with open_registry(args)() as session:
            result = import_schools(session, args.file, settings_or_exit(args).province)
    except SchoolFileError as exc:
        return fail(str(exc))
    if result.all_or_nothing and result.errors:
        for problem in result.errors:
            print(f"error {problem}", file=sys.stderr)
        print(
            f"nothing imported: {len(result.errors)} rows wrong "
            "(the file has a commune or site_of column)"
        )
        return 1
    return finish_import(
        result.errors,
        f"imported {result.imported - result.sites} schools and {result.sites} site(s) of units "
        f"({len(result.errors)} rows skipped)"
        if result.sites
        else f"imported {result.imported} schools ({len(result.errors)} rows skipped)",
    )
