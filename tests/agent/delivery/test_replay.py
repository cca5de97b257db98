"""Backfill's pace (a token bucket on an injected clock) and the control topic's replay
requests, bad ones ignored with a reason."""

from __future__ import annotations

from schoolnet_agent.delivery.replay import TokenBucket, parse_request


def test_token_bucket_paces_with_an_injected_clock():
    now = [0.0]
    bucket = TokenBucket(5, clock=lambda: now[0])
    assert bucket.available() == 5
    bucket.take(5)
    assert bucket.available() == 0
    now[0] += 0.4
    assert bucket.available() == 2
    now[0] += 100
    assert bucket.available() == 5  # never more than the burst


def test_bad_replay_requests_are_ignored_with_a_reason(caplog):
    for body in (
        b"{nope",
        b"[1]",
        b'{"since_ms": 5}',
        b'{"id": "", "since_ms": 5}',
        b'{"id": "a", "since_ms": -1}',
        b'{"id": "a", "since_ms": "yesterday"}',
    ):
        assert parse_request(body) is None
    assert parse_request(b"") is None
    assert parse_request(b'{"id": "a", "since_ms": 5}').since_ms == 5
    assert caplog.text.count("replay request ignored") == 6
