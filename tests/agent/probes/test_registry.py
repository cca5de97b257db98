"""Probes found by name through the registry: every registered one loads and reports only what
it declares; one that cannot be loaded or started is logged and skipped, the others run."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from schoolnet_agent.probes import PROBES
from schoolnet_agent.probes.registry import ProbeLoadError, Registration, Registry
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import build_report, encode, validate
from tests.support.probes import REGISTRY


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


def test_probes_that_fail_to_load_are_logged_and_skipped(caplog):
    probes = REGISTRY.load(["cpu", "broken", "missing", "nonexistent", "mem"])
    assert [p.name for p in probes] == ["cpu", "mem"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 3
    assert "'broken' failed to start" in caplog.text and "no such device" in caplog.text
    assert any("no_such_module" in e for e in errors)
    assert any("unknown probe 'nonexistent'" in e for e in errors)


def test_the_registry_tells_own_probes_defaults_and_sub_device_sections_apart():
    assert PROBES.own() == (
        "cpu",
        "mem",
        "disk",
        "diskio",
        "net",
        "system",
        "sensors",
        "board_usb",
        "uplink",
        "netquality",
        "lan",
    )
    assert PROBES.defaults("lab_pc") == list(PROBES.own()[:8])
    assert PROBES.defaults("gateway") == list(PROBES.own())
    assert PROBES.sections() == {"projectors": "projector", "boards": "board"}


def test_a_probe_registered_twice_is_refused():
    with pytest.raises(ValueError, match="'cpu' is registered twice"):
        Registry([Registration("cpu", ".cpu:CpuProbe"), Registration("cpu", ".mem:MemProbe")])


def test_a_registration_must_name_the_probe_it_points_at():
    wrong = Registry([Registration("memory", ".mem:MemProbe")])
    with pytest.raises(ProbeLoadError, match="is not a Probe named 'memory'"):
        wrong.probe_class("memory")


@pytest.mark.parametrize("section", list(PROBES.sections()))
def test_a_sub_device_probe_checks_every_key_of_its_entries(section):
    """The config loader reads an entry's keys from the probe's settings model: each field has
    a check, and each check a field."""
    model = PROBES.probe_class(PROBES.sections()[section]).settings_model
    assert model is not None
    assert set(model.KEYS) == {f.name for f in dataclasses.fields(model)}
    assert {"id", "host"} <= set(model.KEYS)
