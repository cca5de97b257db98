"""``schoolnet-agent``: run the agent, try it once, or list what it measures.

Exit codes: 0 done, 1 the agent could not do its job (state directory unusable, broker did
not acknowledge), 2 wrong command line or configuration (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from typing import TYPE_CHECKING

from schoolnet_agent import __version__

if TYPE_CHECKING:
    from schoolnet_agent.config import AgentConfig

EXIT_FAILED = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="schoolnet-agent", description="Reports this device's health to schoolnet over MQTT."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning", "error"],
        help="default: info",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    run = sub.add_parser("run", help="report every interval until stopped (SIGTERM, Ctrl-C)")
    run.add_argument("--config", required=True, metavar="FILE", help="TOML configuration file")
    # Only --print for now: a one-off publish would leave the device's retained availability
    # at "offline" while its service keeps running.
    once = sub.add_parser("once", help="collect one report and print it (no broker needed)")
    once.add_argument(
        "--print",
        action="store_true",
        dest="print_only",
        required=True,
        help="print the report as JSON, validated against the schema",
    )
    once.add_argument(
        "--config",
        metavar="FILE",
        help="TOML configuration file (default: school 'local', device = hostname)",
    )
    sub.add_parser("probes", help="list every probe's fields with unit and meaning (Markdown)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "probes":
        from schoolnet_agent.docs import fields_markdown

        return _write(fields_markdown())

    from schoolnet_agent.config import ConfigError, load_config
    from schoolnet_agent.delivery.sequence import SequenceError
    from schoolnet_agent.delivery.spool import SpoolError

    try:
        config = load_config(args.config, require_school=args.command == "run")
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    try:
        if args.command == "run":
            return _run(config)
        return _print_once(config)
    except (SequenceError, SpoolError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED


def _run(config: AgentConfig) -> int:
    from schoolnet_agent.runner import Runner

    runner = Runner(config)
    runner.attach_inventory()
    runner.install_signal_handlers()
    runner.run()
    return 0


def _print_once(config: AgentConfig) -> int:
    """One report on stdout. Uses seq 0 and writes no state: nothing is sent."""
    from schoolnet_agent.assembly import load_probes
    from schoolnet_agent.probes.sampling import ProbeSet
    from schoolnet_agent.protocol import build_report, validate

    dev = config.device
    report = build_report(
        dev.school,
        dev.id,
        dev.kind,
        0,
        ProbeSet(load_probes(config)).collect(),
        interval=dev.interval_seconds,
        agent=__version__,
    )
    validate(report)  # a report the collector would refuse is a bug: let it show
    return _write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def _write(text: str) -> int:
    """Write to stdout; a reader that went away (``| head``) is not an error worth a traceback."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
