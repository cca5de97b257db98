"""The rule reference in docs/alerting.md is what ``schoolnet-collector rules`` generates."""

from __future__ import annotations

from schoolnet_collector.alerting.docs import readme_block, rules_markdown
from schoolnet_collector.alerting.rules import RULES
from tests.support.paths import ROOT

DOC = ROOT / "docs/alerting.md"


def test_the_rule_reference_matches_the_code():
    assert readme_block(DOC.read_text(encoding="utf-8")) == rules_markdown(), (
        "run `schoolnet-collector rules` and paste its output into docs/alerting.md"
    )


def test_every_registered_rule_is_documented_with_its_settings_and_both_texts():
    text = rules_markdown()
    for name, cls in RULES.classes().items():
        section = text.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        assert cls.summary.message in section and "(vi: “" in section
        for setting in cls.model_fields:
            assert f"| `{setting}` |" in section
