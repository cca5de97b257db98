"""``python dashboards/check.py``: run a dashboard's queries on InfluxDB and say which panels
would be empty, without Grafana. For a new site, or after changing a query.

Exit status: 0 every query ran, 1 a query failed or InfluxDB could not be reached, 2 bad
input (argument, dashboard file), with one message naming what is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from schoolnet_dashboards import dashboard_model as model
from schoolnet_dashboards.cli import http_url, positive_float
from schoolnet_dashboards.grafana_vars import ALL
from schoolnet_dashboards.panel_check import http_runner, run_panels

PROG = "check.py"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument(
        "--influx-url",
        type=http_url,
        default="http://127.0.0.1:8086",
        help="InfluxDB URL (default: %(default)s)",
    )
    p.add_argument("--database", default="schoolnet", help="default: %(default)s")
    p.add_argument("--dashboard", type=Path, default=model.DASHBOARD_DIR / "province-overview.json")
    p.add_argument("--commune", action="append", help="commune code (repeatable; default: All)")
    p.add_argument("--level", action="append", help="level id (repeatable; default: All)")
    p.add_argument(
        "--range",
        type=positive_float,
        default=3600.0,
        dest="range_seconds",
        help="dashboard time range in seconds (default: %(default)s)",
    )
    p.add_argument("--print-queries", action="store_true", help="print each interpolated query")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        dashboard = model.load(args.dashboard)
    except (OSError, json.JSONDecodeError) as exc:
        print(f"{PROG}: error: --dashboard {args.dashboard}: {exc}", file=sys.stderr)
        return 2
    selection = {"commune": args.commune or ALL, "level": args.level or ALL}
    try:
        results = run_panels(
            dashboard,
            selection,
            http_runner(args.influx_url, args.database),
            range_seconds=args.range_seconds,
        )
    except (OSError, ValueError) as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    for r in results:
        state = f"{r.rows} rows" if r.has_values else "EMPTY"
        print(f"{state:>10}  {r.query.title}")
        if args.print_queries:
            print(f"            {r.text}")
    return 0
