"""Probes as a set: loading, failure isolation, clean samples, documentation kept in sync."""

from __future__ import annotations

import logging

import pytest

from schoolnet_agent.docs import fields_markdown, readme_block
from schoolnet_agent.probes import PROBES
from schoolnet_agent.probes.base import SUFFIX_UNITS, Field, Probe
from schoolnet_agent.probes.registry import Registration, Registry
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import Sample, build_report, encode, validate
from schoolnet_agent.util.logonce import LogLimiter
from tests.support.paths import ROOT as ROOT_DIR

README = ROOT_DIR / "agent/schoolnet_agent/probes/README.md"


class Exploding(Probe):
    name = "exploding"
    description = "raises on every collect"
    fields = (Field("x_count", "count", "never sent"),)

    def collect(self):
        raise OSError("sensor bus gone")


class BrokenAtStart(Probe):
    name = "broken"
    description = "raises in its constructor"
    fields = ()

    def __init__(self):
        raise RuntimeError("no such device")

    def collect(self):
        return []


class Sloppy(Probe):
    name = "sloppy"
    description = "emits some values the contract refuses"
    fields = (
        Field("good_bytes", "bytes", ""),
        Field("ratio_percent", "percent", ""),
        Field("label", "number", ""),
    )

    def collect(self):
        return [
            self.sample(
                {"good_bytes": 10, "ratio_percent": float("nan"), "label": "x" * 300, "surprise": 1}
            ),
            Sample("not_me", {"good_bytes": 1}),
            self.sample({"ratio_percent": float("inf")}, instance="only-bad"),
        ]


REGISTRY = Registry(
    [
        *PROBES,
        Registration("exploding", f"{__name__}:Exploding"),
        Registration("broken", f"{__name__}:BrokenAtStart"),
        Registration("missing", "schoolnet_agent.probes.no_such_module:Nothing"),
        Registration("sloppy", f"{__name__}:Sloppy"),
    ]
)


def test_every_builtin_probe_reports_only_declared_fields_and_a_valid_report():
    probes = PROBES.load(PROBES.own())
    assert [p.name for p in probes] == list(PROBES.own())
    raw = {p.name: p.collect() for p in probes}
    for name in ("cpu", "mem", "disk", "system"):  # present on any machine that runs tests
        assert raw[name], f"{name} reported nothing"
    for probe in probes:
        for s in raw[probe.name]:
            assert s.name == probe.name
            assert set(s.fields) <= probe.field_names()
    report = build_report("local", "pc-01", "lab_pc", 1, ProbeSet(probes).collect(), interval=60)
    assert validate(report) is report
    assert len(encode(report)) < 4096, "a lab PC's report stays small for metered links"


@pytest.mark.parametrize("name", [r.name for r in PROBES])
def test_field_names_carry_their_unit(name):
    cls = PROBES.probe_class(name)
    assert cls.fields and cls.description
    names = [f.name for f in cls.fields]
    assert len(names) == len(set(names))
    for f in cls.fields:
        base = f.name.removesuffix("_total")
        if f.unit in SUFFIX_UNITS:
            assert base.endswith("_" + f.unit), f.name
        if f.unit == "count":
            assert f.name.endswith("_count"), f.name
        assert f.description, f.name


def test_probes_that_fail_to_load_are_logged_and_skipped(caplog):
    probes = REGISTRY.load(["cpu", "broken", "missing", "nonexistent", "mem"])
    assert [p.name for p in probes] == ["cpu", "mem"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 3
    assert "'broken' failed to start" in caplog.text and "no such device" in caplog.text
    assert any("no_such_module" in e for e in errors)
    assert any("unknown probe 'nonexistent'" in e for e in errors)


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


def test_readme_field_tables_match_the_code():
    assert readme_block(README.read_text()) == fields_markdown(), (
        "run `schoolnet-agent probes` and paste its output into probes/README.md"
    )
