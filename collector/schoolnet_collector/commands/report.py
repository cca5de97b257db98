"""``schoolnet-collector report <name>``: the planners' reports (``planning.reports``).

``--list`` prints the registered reports as the Markdown table in docs/planning.md.
``--group-by`` groups by province, managing_body, commune, level, legacy_district or
legacy_province (several, comma-separated); ``--plan ID`` measures one of the plans of
``[planning] plans`` on its own area (without it: every plan on its area, and the province).
Reads the registry and InfluxDB named in the collector's config; writes a table to the
terminal, or JSON, CSV (the summary) or XLSX (summary + one sheet per level) to stdout or
``--output``. Exit status: 0 done, 1 InfluxDB unreachable, 2 a wrong argument or file (the
message names it). A progress bar (tqdm, on a terminal) counts the queries.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from schoolnet_collector.commands.common import add_config_option, settings_or_exit
from schoolnet_collector.planning.grouping import AXES, DEFAULT_GROUP_BY, parse_group_by
from schoolnet_collector.planning.period import ReportArgumentError, parse_period, parse_scope
from schoolnet_collector.planning.reports import REPORTS

if TYPE_CHECKING:
    from tqdm import tqdm

    from schoolnet_collector.commands.common import Subcommands
    from schoolnet_collector.core.access import Scope
    from schoolnet_collector.planning.reports.base import Report

FORMATS = ("table", "json", "csv", "xlsx")


def _scope(text: str) -> Scope:
    try:
        return parse_scope(text)
    except ReportArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _period(text: str) -> str:
    try:
        parse_period(text, datetime.now(timezone.utc))
    except ReportArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _end(text: str) -> datetime:
    """``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM[:SS][+07:00]``; without a zone, UTC."""
    try:
        end = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a date or date-time like 2026-05-31 or 2026-05-31T17:00+07:00, got {text!r}"
        ) from None
    return end if end.tzinfo else end.replace(tzinfo=timezone.utc)


def _group_by(text: str) -> tuple[str, ...]:
    try:
        return parse_group_by(text)
    except ReportArgumentError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _year(text: str) -> int:
    if not (text.isdigit() and 2000 <= int(text) <= 2100):
        raise argparse.ArgumentTypeError(f"must be a year 2000-2100, got {text!r}")
    return int(text)


def register(sub: Subcommands) -> None:
    p = sub.add_parser(
        "report",
        help="the planners' reports: " + REPORTS.known(),
        description=__doc__.splitlines()[0],
    )
    p.add_argument("kind", nargs="?", choices=REPORTS.names(), help="the report")
    p.add_argument(
        "--list", action="store_true", help="print the reports as a Markdown table and stop"
    )
    add_config_option(p)
    p.add_argument(
        "--scope",
        type=_scope,
        default="province",
        help="province, district:<id> or school:<id> (default: province)",
    )
    p.add_argument(
        "--period",
        type=_period,
        default="30d",
        help="how far back from now: e.g. 30d, 12w, 48h (default: 30d)",
    )
    p.add_argument(
        "--end",
        type=_end,
        metavar="WHEN",
        help="the period ends here instead of now (e.g. 2026-05-31: the school year)",
    )
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--output", type=Path, metavar="FILE", help="write here instead of stdout")
    p.add_argument(
        "--lang",
        choices=("vi", "en"),
        default="vi",
        help="language of headers and reasons (default: vi)",
    )
    p.add_argument(
        "--as-of",
        type=_year,
        metavar="YEAR",
        help="year that ages and target milestones count from (default: this year)",
    )
    p.add_argument(
        "--group-by",
        type=_group_by,
        metavar="AXES",
        help=f"group by {', '.join(AXES)} (comma-separated; default: {','.join(DEFAULT_GROUP_BY)})",
    )
    p.add_argument(
        "--plan",
        metavar="ID",
        help="measure only this plan's area against its targets (the ids of [planning] plans)",
    )
    p.add_argument(
        "--targets",
        type=Path,
        metavar="FILE",
        help="plan targets YAML, used as the only plan (instead of [planning] plans)",
    )
    p.add_argument("--scoring", type=Path, metavar="FILE", help="replacement rules YAML")
    p.add_argument("--prices", type=Path, metavar="FILE", help="unit prices YAML (VND)")
    p.set_defaults(func=run)


def _fail(message: str, status: int = 2) -> int:
    print(f"schoolnet-collector report: error: {message}", file=sys.stderr)
    return status


def run(args: argparse.Namespace) -> int:
    if args.list:
        from schoolnet_collector.planning.reports.docs import reports_markdown

        sys.stdout.write(reports_markdown())
        return 0
    if args.kind is None:
        return _fail(f"name a report: {REPORTS.known()}")
    unit = REPORTS.get(args.kind)
    if args.format == "xlsx" and args.output is None:
        return _fail("--format xlsx needs --output FILE.xlsx (a workbook is not text)")
    scope = args.scope
    settings = settings_or_exit(args)
    from schoolnet_collector.planning.files import PlanningFileError
    from schoolnet_collector.planning.plans import PlanAreaError, load_plans
    from schoolnet_collector.planning.prices import load_prices
    from schoolnet_collector.planning.reports.base import Inputs
    from schoolnet_collector.planning.scoring import load_scoring
    from schoolnet_collector.planning.targets import load_targets
    from schoolnet_collector.registry.db import make_engine, migrate, session_factory
    from schoolnet_collector.storage.influx import InfluxStore, StorageError

    try:
        plan_files = [args.targets] if args.targets else settings.planning.plans
        plans = load_plans(plan_files)
        inputs = Inputs(
            plans[0].targets if args.targets else load_targets(),
            load_scoring(args.scoring),
            load_prices(args.prices) if unit.uses_prices else None,
            plans,
        )
    except PlanningFileError as exc:
        return _fail(str(exc))
    period = parse_period(args.period, args.end or datetime.now(timezone.utc))
    engine = make_engine(settings.registry.url)
    try:
        migrate(engine)
        store = InfluxStore(settings.influx)
        with session_factory(engine)() as session, _progress() as bar:

            def progress(step: str, done: int, total: int) -> None:
                _advance(bar, step, done, total)

            report = unit.compute(
                store,
                session,
                scope,
                period,
                as_of=args.as_of,
                inputs=inputs,
                progress=progress,
                plan=args.plan,
                group_by=args.group_by,
            )
    except (ReportArgumentError, PlanAreaError) as exc:
        return _fail(str(exc))
    except StorageError as exc:
        return _fail(str(exc), 1)
    finally:
        engine.dispose()
    return _write(args, unit, report)


def _progress() -> tqdm[NoReturn]:
    from tqdm import tqdm

    return tqdm(desc="queries", unit="q", file=sys.stderr, disable=None, leave=False)


def _advance(bar: tqdm[NoReturn], step: str, done: int, total: int) -> None:
    bar.total = total
    bar.set_postfix_str(step, refresh=False)
    bar.update(done - bar.n)


def _write(args: argparse.Namespace, unit: Report[Any], report: object) -> int:
    import orjson

    from schoolnet_collector.planning.export_csv import csv_bytes
    from schoolnet_collector.planning.export_xlsx import xlsx_bytes

    lang = args.lang
    if args.format == "json":
        body = orjson.dumps(unit.as_json(report, lang), option=orjson.OPT_INDENT_2) + b"\n"
    else:
        tables = unit.tables(report, lang)
        if args.format == "csv":
            body = csv_bytes(tables[0])
        elif args.format == "xlsx":
            body = xlsx_bytes(tables)
        else:
            body = (unit.text(tables) + "\n").encode()
    if args.output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return 0
    try:
        args.output.write_bytes(body)
    except OSError as exc:
        return _fail(f"--output {args.output}: {exc.strerror or exc}")
    print(f"{args.kind} report written to {args.output}", file=sys.stderr)
    return 0
