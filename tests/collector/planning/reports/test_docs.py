"""The table of reports in docs/planning.md is what ``schoolnet-collector report --list``
generates from the registry."""

from __future__ import annotations

from schoolnet_collector.planning.reports import REPORTS
from schoolnet_collector.planning.reports.docs import doc_block, reports_markdown
from tests.support.paths import ROOT

DOC = ROOT / "docs/planning.md"


def test_the_docs_table_matches_the_registry():
    assert doc_block(DOC.read_text()) == reports_markdown(), (
        "run `schoolnet-collector report --list` and paste its output into docs/planning.md"
    )


def test_the_table_has_a_row_per_report_with_its_api_route():
    rows = reports_markdown().splitlines()[2:]
    assert [r.split("|")[1].strip() for r in rows] == [f"`{n}`" for n in REPORTS.names()]
    assert all(f"/api/v1/reports/{n}" in r for n, r in zip(REPORTS.names(), rows, strict=True))
    assert "prices" in rows[1] and "prices" not in rows[0]
