"""Helpers shared by subcommands: the --config option and friendly config errors."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from schoolnet_collector.core.config import ConfigError, Settings, load_settings


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="collector.toml (environment SCHOOLNET_<SECTION>__<KEY> overrides it)")


def settings_or_exit(args: argparse.Namespace, **overrides) -> Settings:
    try:
        return load_settings(args.config, **overrides)
    except ConfigError as exc:
        print(f"schoolnet-collector: config error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
