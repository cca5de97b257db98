"""Topics: built and parsed back, bad ids refused."""

from __future__ import annotations

import pytest

from schoolnet_agent.protocol import TopicError, device_topic, parse_topic, subscription


def test_topics_round_trip_and_reject_bad_ids():
    topic = device_topic("lc-bxa-th-012", "pc-07", "telemetry")
    assert topic == "schoolnet/v1/lc-bxa-th-012/pc-07/telemetry"
    assert parse_topic(topic).device == "pc-07"
    for bad in (
        "schoolnet/v1/a/b",
        "schoolnet/v2/a/b/telemetry",
        "schoolnet/v1/A/b/telemetry",
        "schoolnet/v1/a/b/status",
        "schoolnet/v1/a/b/telemetry/x",
    ):
        with pytest.raises(TopicError):
            parse_topic(bad)
    with pytest.raises(TopicError):
        device_topic("a", "b+", "telemetry")
    assert subscription("collectors") == "$share/collectors/schoolnet/v1/+/+/+"
