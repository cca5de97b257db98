"""Helpers shared by subcommands: the --config option, friendly config errors, and the shape
every ``<thing> import FILE`` command has (bad rows named and skipped, exit 1 when any was
skipped, 2 when the file itself is unusable)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from schoolnet_collector.core.config import Settings

    Subcommands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
    """What ``add_subparsers`` returns: each command module's ``register`` adds to it."""
    Run: TypeAlias = Callable[[argparse.Namespace], int]
    """A command's work: the parsed arguments in, the exit status out."""


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="collector.toml (environment SCHOOLNET_<SECTION>__<KEY> overrides it)",
    )


def settings_or_exit(args: argparse.Namespace, **overrides: object) -> Settings:
    from schoolnet_collector.core.config import ConfigError, load_settings

    try:
        return load_settings(args.config, **overrides)
    except ConfigError as exc:
        print(f"schoolnet-collector: config error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def add_command_group(sub: Subcommands, command: str, command_help: str) -> Subcommands:
    """``schoolnet-collector <command> ACTION``: returns the actions, to add each to."""
    group = sub.add_parser(command, help=command_help)
    return group.add_subparsers(dest=f"{command}_command", required=True, metavar="ACTION")


def add_action(actions: Subcommands, name: str, help: str, func: Run) -> argparse.ArgumentParser:
    """One ACTION with the --config option; returns its parser for its own arguments."""
    parser = actions.add_parser(name, help=help)
    add_config_option(parser)
    parser.set_defaults(func=func)
    return parser


def add_import_command(
    sub: Subcommands,
    command: str,
    command_help: str,
    import_help: str,
    func: Run,
    nargs: str | None = None,
    help: str | None = None,
) -> argparse.ArgumentParser:
    """``schoolnet-collector <command> import [--config FILE] FILE``; returns the ``import``
    parser so a command can add its own options. ``nargs`` and ``help`` are the file
    argument's (``nargs="?"``: the file may be left out)."""
    return add_import_action(
        add_command_group(sub, command, command_help), import_help, func, nargs, help
    )


def add_import_action(
    actions: Subcommands,
    import_help: str,
    func: Run,
    nargs: str | None = None,
    help: str | None = None,
) -> argparse.ArgumentParser:
    """The ``import FILE`` action of a command group (see ``add_import_command``)."""
    imp = add_action(actions, "import", import_help, func)
    imp.add_argument("file", type=Path, nargs=nargs, help=help)
    return imp


def open_registry(args: argparse.Namespace) -> sessionmaker[Session]:
    """A session factory on the configured registry, migrated to the newest schema."""
    settings = settings_or_exit(args)
    from schoolnet_collector.registry.db import make_engine, migrate, session_factory

    engine = make_engine(settings.registry.url)
    migrate(engine)
    return session_factory(engine)


def fail(message: str) -> int:
    print(f"schoolnet-collector: {message}", file=sys.stderr)
    return 2


def finish_import(errors: Sequence[str], summary: str) -> int:
    """Name every skipped row on stderr, print the summary; 1 when any row was skipped."""
    for problem in errors:
        print(f"skipped {problem}", file=sys.stderr)
    print(summary)
    return 1 if errors else 0
