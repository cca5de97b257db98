"""``schoolnet-collector contacts import FILE`` and ``calendar import [FILE] [--school ID]``.

Both follow ``schools import``: bad rows are named by line and skipped, good rows are kept,
and the exit status is 1 when any row was skipped, 2 when the file itself is unusable.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schoolnet_collector.commands.common import add_config_option, settings_or_exit


def register(sub) -> None:
    p = sub.add_parser("contacts", help="manage who hears about incidents")
    csub = p.add_subparsers(dest="contacts_command", required=True, metavar="ACTION")
    imp = csub.add_parser("import", help="import contacts from CSV (UTF-8) or YAML")
    add_config_option(imp)
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=run_contacts_import)

    p = sub.add_parser("calendar", help="manage the school calendar (hours, terms, holidays)")
    csub = p.add_subparsers(dest="calendar_command", required=True, metavar="ACTION")
    imp = csub.add_parser("import", help="replace the province's (or one school's) calendar from YAML")
    add_config_option(imp)
    imp.add_argument("file", type=Path, nargs="?",
                     help="calendar YAML; default: the packaged calendar of the current school year")
    imp.add_argument("--school", metavar="ID", help="the school whose own calendar this is")
    imp.set_defaults(func=run_calendar_import)


def _sessions(args):
    settings = settings_or_exit(args)
    from schoolnet_collector.registry.db import make_engine, migrate, session_factory

    engine = make_engine(settings.registry.url)
    migrate(engine)
    return session_factory(engine)


def _fail(message: str) -> int:
    print(f"schoolnet-collector: {message}", file=sys.stderr)
    return 2


def run_contacts_import(args: argparse.Namespace) -> int:
    from schoolnet_collector.alerting.contacts import import_contacts
    from schoolnet_collector.registry.schools import SchoolFileError

    try:
        with _sessions(args)() as session:
            result = import_contacts(session, args.file)
    except SchoolFileError as exc:
        return _fail(str(exc))
    for problem in result.errors:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"imported {result.imported} contacts ({len(result.errors)} rows skipped)")
    return 1 if result.errors else 0


def run_calendar_import(args: argparse.Namespace) -> int:
    from schoolnet_collector.alerting.calendar import CalendarFileError, import_calendar
    from schoolnet_collector.registry.models import School

    try:
        with _sessions(args)() as session:
            if args.school and session.get(School, args.school) is None:
                return _fail(f"school {args.school!r} is not in the registry")
            result = import_calendar(session, args.file, args.school)
    except CalendarFileError as exc:
        return _fail(str(exc))
    for problem in result.errors:
        print(f"skipped {problem}", file=sys.stderr)
    whose = f"school {args.school}" if args.school else "the province"
    print(f"calendar of {whose}: {result.hours} weekdays of hours, {result.terms} terms, "
          f"{result.holidays} holidays ({len(result.errors)} rows skipped)")
    return 1 if result.errors else 0
