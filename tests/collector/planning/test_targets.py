"""The plan targets: the packaged figures with their source plans, the gap to a target, and a
wrong targets file named by its key."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning.files import PlanningFileError
from schoolnet_collector.planning.targets import load_targets


def test_default_targets_are_the_plans_figures_with_their_source():
    t = load_targets()
    expected = {  # DOMAIN brief, "Targets that readiness is measured against"
        ("internet", 2025): (100, "Thái Nguyên"),
        ("fixed_broadband", 2025): (90, "Thái Nguyên"),
        ("fixed_broadband", 2030): (95, "Thái Nguyên"),
        ("lab_tieu_hoc", 2020): (95, "Lào Cai"),
        ("lab_tieu_hoc", 2025): (100, "Lào Cai"),
        ("lab_thcs", 2020): (100, "Lào Cai"),
        ("lab_mam_non", 2020): (50, "Lào Cai"),
        ("lab_mam_non", 2025): (70, "Lào Cai"),
        ("digital_record", 2025): (80, "Bình Định"),
        ("digital_record", 2030): (100, "Bình Định"),
        ("meeting_points", 2020): (14, "Quảng Ngãi"),
        ("districts_meeting_online", 2025): (95, "Lào Cai"),
    }
    for (key, year), (value, source) in expected.items():
        target = t.target(key, year)
        assert (target.value, target.year) == (value, year), key
        assert source in target.source, key
    assert t.target("lab_tieu_hoc", 2019).year == 2020  # the next milestone
    assert t.target("lab_tieu_hoc", 2031).year == 2025  # the last, once all have passed
    assert t.target("nothing", 2020) is None


def test_gap_is_the_shortfall_and_zero_once_met():
    target = load_targets().target("internet", 2025)
    assert (target.gap(75.0), target.gap(100.0), target.gap(None)) == (25.0, 0.0, None)


@pytest.mark.parametrize(
    "text, message",
    [
        ("format: 2\ntargets: {}\n", "format must be 1"),
        ("- a list\n", "expected a mapping"),
        (
            "format: 1\ntargets: {internet: {milestones: {2025: 100}}}\n",
            "targets.internet.source: Field required",
        ),
        (
            "format: 1\ntargets: {internet: {milestones: {2025: 100}, source: x, op: '>'}}\n",
            "targets.internet.op",
        ),
        (
            "format: 1\ntargets: {}\nparameters: {lab_min_working_pcs: 0}\n",
            "parameters.lab_min_working_pcs",
        ),
        ("format: 1\ntargets: {}\nextra: 1\n", "extra: unknown key"),
        ("format: 1\ntargets: [\n", "not valid YAML"),
    ],
)
def test_a_wrong_targets_file_names_the_key(tmp_path, text, message):
    path = tmp_path / "targets.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanningFileError, match=message) as err:
        load_targets(path)
    assert str(path) in str(err.value)
