"""The unit prices: dated assumptions in VND, a lab room priced from its PCs."""

from __future__ import annotations

from schoolnet_collector.planning.prices import load_prices


def test_default_prices_are_dated_assumptions_in_vnd():
    p = load_prices()
    assert p.currency == "VND" and p.as_of and "tender" in p.note
    assert p.lab_room(25) == p.items.lab_room_fixed + 25 * p.items.pc
