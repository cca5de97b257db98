"""``schoolnet-collector rules [--check FILE]``: the alert rules' reference, or a rule file checked.

Without arguments it prints the reference of every registered rule (Markdown, the block kept in
docs/alerting.md). ``--check`` validates a rule file as the collector would at start, without a
registry or a broker, so the rollout team can check a province's file before deploying it: exit
0 and a one-line summary, or 2 and one line per mistake.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from schoolnet_collector.commands.common import fail

if TYPE_CHECKING:
    from schoolnet_collector.commands.common import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser("rules", help="print the alert rules' reference, or check a rule file")
    p.add_argument("--check", metavar="FILE", type=Path, help="validate this rule file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.check is None:
        from schoolnet_collector.alerting.docs import rules_markdown

        print(rules_markdown(), end="")
        return 0
    from schoolnet_collector.alerting.rulefile import RuleFileError, load_rules

    try:
        rules = load_rules(args.check)
    except RuleFileError as exc:
        return fail(str(exc))
    on = [name for name, rule in rules.in_order() if rule.enabled]
    print(f"{args.check}: {len(on)} rules enabled: {', '.join(on)}")
    return 0
