"""The declared data model is generated from the agent's field docs, and kept current."""

from __future__ import annotations

from devenv.declared_model import TARGET, render
from schoolnet_collector.ingest.model import BOOL, FLAG, NUMBER, TEXT, inventory_type, metric_types


def test_declared_json_is_current():
    """Run ``python -m devenv.declared_model`` after changing a probe's fields."""
    assert TARGET.read_text(encoding="utf-8") == render()


def test_types_follow_the_declarations():
    assert metric_types("uplink")["isp"] == TEXT and metric_types("uplink")["up"] == FLAG
    assert metric_types("net")["up"] == BOOL
    # a bool the probe sends as int(...) was always stored as a float, and stays one
    assert metric_types("projector")["power_on"] == NUMBER
    assert inventory_type("pjlink_class") == NUMBER
    assert inventory_type("disk3_size_bytes") == NUMBER and inventory_type("disk3_smart") == TEXT
    assert metric_types("a_site_metric") == {}
