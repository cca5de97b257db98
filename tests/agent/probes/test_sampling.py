"""Probes as a set: a failing probe costs its own values only, unusable values are dropped
and the rest kept, malformed events are dropped and good ones handed out once."""

from __future__ import annotations

import logging

from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import Event, build_report, validate
from schoolnet_agent.util.logonce import LogLimiter
from tests.support.probes import FAILOVER, REGISTRY, Changing, Failing


def test_a_probe_failing_on_collect_is_logged_once_and_others_still_report(caplog):
    clock = [0.0]
    limiter = LogLimiter(logging.getLogger("test.probes"), period=3600, clock=lambda: clock[0])
    probe_set = ProbeSet(REGISTRY.load(["exploding", "mem"]), limiter)
    for _ in range(3):
        samples = probe_set.collect()
        assert [s.name for s in samples] == ["mem"]
    failures = [r for r in caplog.records if "exploding" in r.getMessage()]
    assert len(failures) == 1 and "sensor bus gone" in failures[0].getMessage()
    clock[0] = 3601.0
    probe_set.collect()
    failures = [r.getMessage() for r in caplog.records if "exploding" in r.getMessage()]
    assert len(failures) == 2 and "(2 more since last logged)" in failures[1]


def test_unusable_values_are_dropped_and_the_rest_kept(caplog):
    samples = ProbeSet(REGISTRY.load(["sloppy"])).collect()
    assert [(s.name, s.fields) for s in samples] == [("sloppy", {"good_bytes": 10})]
    text = caplog.text
    for problem in ("ratio_percent", "'label'", "undeclared field 'surprise'", "'not_me'"):
        assert problem in text
    report = build_report("local", "pc-01", "lab_pc", 1, samples)
    assert validate(report)


def test_probe_set_keeps_good_events_and_drops_malformed_ones(caplog):
    bad = [
        Event("Uplink Changed", {}),
        Event("x", {"k": float("nan")}),
        Event("x", {}, severity="fatal"),
        Event("x", {f"k{i}": i for i in range(33)}),
        Event("x", {}, message="m" * 513),
        "not an event",
    ]
    probes = ProbeSet([Failing(), Changing([FAILOVER, *bad])])
    probes.collect()
    assert probes.events() == [FAILOVER]
    assert probes.events() == [], "each event is handed out once"
    assert "probe 'failing' failed to give its events" in caplog.text
    assert "malformed event" in caplog.text
    assert [r for r in caplog.records if r.levelno == logging.ERROR]
