"""The field reference in probes/README.md is what ``schoolnet-agent probes`` generates."""

from __future__ import annotations

from schoolnet_agent.docs import fields_markdown, readme_block
from tests.support.paths import ROOT as ROOT_DIR

README = ROOT_DIR / "agent/schoolnet_agent/probes/README.md"


def test_readme_field_tables_match_the_code():
    assert readme_block(README.read_text()) == fields_markdown(), (
        "run `schoolnet-agent probes` and paste its output into probes/README.md"
    )
