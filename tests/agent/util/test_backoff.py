"""Reconnect delays: random inside a doubling window, never below the minimum or above the cap."""

import pytest

from schoolnet_agent.util.backoff import Backoff


def test_window_doubles_up_to_the_cap_and_resets():
    b = Backoff(1.0, 10.0, rand=lambda: 1.0)  # always the top of the window
    assert [b.next_delay() for _ in range(5)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    b.reset()
    assert b.next_delay() == 2.0


def test_delays_are_spread_and_bounded():
    b = Backoff(1.0, 120.0)
    delays = [b.next_delay() for _ in range(200)]
    assert all(1.0 <= d <= 120.0 for d in delays)
    assert len({round(d, 3) for d in delays[10:]}) > 150, "jittered, not lock-step"


def test_a_device_offline_for_months_does_not_overflow():
    b = Backoff(1.0, 120.0, rand=lambda: 0.5)
    b.failures = 10_000
    assert b.next_delay() == pytest.approx(60.5)


@pytest.mark.parametrize("lo,hi", [(0, 1), (-1, 5), (5, 1)])
def test_nonsense_bounds_are_refused(lo, hi):
    with pytest.raises(ValueError, match="min_delay"):
        Backoff(lo, hi)
