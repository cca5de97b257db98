"""``python -m schoolnet_collector.simulator``: the ``simulate`` subcommand on its own."""

from __future__ import annotations

import argparse
import logging
import sys

from schoolnet_collector.simulator.cli import register


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="schoolnet-collector")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["simulate", *(sys.argv[1:] if argv is None else argv)])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    status: int = args.func(args)  # cli.run
    return status


if __name__ == "__main__":
    sys.exit(main())
