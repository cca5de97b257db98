"""The planners' files as files: a missing one, or a wrong value in one, is named."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning.files import PlanningFileError
from schoolnet_collector.planning.prices import load_prices
from schoolnet_collector.planning.scoring import load_scoring


def test_missing_scoring_and_price_files_are_named(tmp_path):
    with pytest.raises(PlanningFileError, match=r"nope.yaml: cannot read"):
        load_scoring(tmp_path / "nope.yaml")
    bad = tmp_path / "prices.yaml"
    bad.write_text(
        "format: 1\nas_of: '2025'\nitems: {pc: -1, lab_room_fixed: 0, projector: 1, board: 1}\n"
    )
    with pytest.raises(PlanningFileError, match=r"items.pc: Input should be greater than 0"):
        load_prices(bad)
