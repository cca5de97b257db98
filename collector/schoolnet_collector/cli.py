"""``schoolnet-collector``: the collector, its registry, the planners' reports, the simulator.

Each subcommand lives in its own module with ``register(subparsers)``; this file only
assembles them. Registering is cheap (no SQLAlchemy, FastAPI or pydantic until a command runs),
so ``--help`` and a wrong argument answer at once. Errors a user can fix (config, files,
arguments) print one clear message and exit 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys

if sys.version_info < (3, 11):  # the agent runs on 3.10; the collector does not
    sys.exit("schoolnet-collector needs Python 3.11 or newer")

from schoolnet_collector.commands import (
    alerting as alerting_cmd,
    devices as devices_cmd,
    report as report_cmd,
    rules as rules_cmd,
    run as run_cmd,
    schools as schools_cmd,
    token as token_cmd,
    units as units_cmd,
)
from schoolnet_collector.core import logformat
from schoolnet_collector.simulator import cli as simulate_cmd


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schoolnet-collector", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="default: INFO",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run_cmd.register(sub)
    schools_cmd.register(sub)
    units_cmd.register(sub)
    devices_cmd.register(sub)
    report_cmd.register(sub)
    token_cmd.register(sub)
    alerting_cmd.register(sub)
    rules_cmd.register(sub)
    simulate_cmd.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logformat.configure(args.log_level, getattr(args, "log_format", "text"))
    try:
        status: int = args.func(args)  # the command's run function (set_defaults(func=...))
        return status
    except ImportError as exc:  # installed without the [collector] extra (e.g. on a lab PC)
        sys.exit(
            f"schoolnet-collector: missing dependency ({exc.name}); install 'schoolnet[collector]'"
        )


if __name__ == "__main__":
    sys.exit(main())
