"""docs/channels.md lists every registered channel as the registry describes it."""

from __future__ import annotations

from schoolnet_collector.channels.docs import block, table
from tests.support.paths import ROOT

DOC = ROOT / "docs/channels.md"


def test_channel_table_matches_the_registry():
    assert block(DOC.read_text()) == table(), (
        "run `python -m schoolnet_collector.channels.docs` and paste its output into "
        "docs/channels.md"
    )
