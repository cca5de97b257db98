"""The projector probe against a projector served over real TCP on 127.0.0.1: power, errors,
lamps, standby, eco standby and a refused password, as the probe reports them."""

from __future__ import annotations

import logging
import time

import pytest

from schoolnet_agent.probes.helpers.pjlink import PJLinkAuthError, PJLinkClient, PJLinkUnreachable
from schoolnet_agent.probes.projector import ProjectorProbe, ProjectorSettings
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import build_report, validate
from tests.support.pjlink_server import FakeProjector, PJLinkServer, free_closed_port


def probe_for(server: PJLinkServer, **kw) -> ProjectorProbe:
    return ProjectorProbe(
        ProjectorSettings(
            "proj-01",
            "127.0.0.1",
            server.port,
            timeout_seconds=kw.pop("timeout_seconds", 2.0),
            **kw,
        )
    )


def device_sample(samples):
    return next(s.fields for s in samples if s.instance is None)


def test_probe_reports_power_errors_and_one_sample_per_lamp():
    projector = FakeProjector(pjclass=2, lamps="3100 1 2900 1", erst="020100")
    with PJLinkServer(projector) as server:
        probe = probe_for(server, lamp_rated_hours=4000)
        samples = ProbeSet([probe]).collect()
    fields = device_sample(samples)
    assert fields["state"] == "on" and fields["power_on"] == 1 and fields["reachable"] == 1
    assert fields["error"] == 1 and fields["error_lamp"] == 2 and fields["error_cover"] == 1
    assert fields["error_fan"] == 0 and fields["error_other"] == 0
    assert fields["lamp_hours"] == 3100, "device level: the most-used lamp"
    assert fields["lamp_rated_hours"] == 4000 and fields["lamp_used_percent"] == 77.5
    assert fields["lamp_count"] == 2 and fields["pjlink_class"] == 2
    lamps = {s.instance: s.fields for s in samples if s.instance}
    assert lamps == {
        "lamp1": {"lamp_hours": 3100, "lamp_on": 1},
        "lamp2": {"lamp_hours": 2900, "lamp_on": 1},
    }
    assert probe.reachable
    assert probe.inventory == {
        "manufacturer": "EPSON",
        "model": "EB-X05",
        "serial": "X5KF1234567",
        "name": "Phong Tin 1",
        "firmware_version": "1.02",
        "lamp_count": 2,
        "pjlink_class": 2,
    }
    report = build_report("lc-test-01", "proj-01", "projector", 1, samples, interval=60)
    assert validate(report)


def test_standby_projector_is_off_without_input_and_without_error():
    with PJLinkServer(FakeProjector(power="0")) as server:
        fields = device_sample(probe_for(server).collect())
    assert fields["state"] == "off" and fields["power_on"] == 0 and fields["error"] == 0
    assert "input" not in fields, "INPT answers ERR3 in standby and is left out"


@pytest.mark.parametrize("power, state, on", [("2", "cooling", 0), ("3", "warming", 1)])
def test_cooling_and_warming(power, state, on):
    with PJLinkServer(FakeProjector(power=power)) as server:
        fields = device_sample(probe_for(server).collect())
    assert (fields["state"], fields["power_on"]) == (state, on)


def test_eco_standby_projector_that_never_answers_is_unreachable_not_failed():
    with PJLinkServer(FakeProjector(silent=True)) as server:
        probe = probe_for(server, timeout_seconds=0.3)
        started = time.monotonic()
        fields = device_sample(probe.collect())
        took = time.monotonic() - started
    assert fields == {"reachable": 0, "state": "unreachable", "power_on": 0, "error": 0}
    assert not probe.reachable and took < 2.0, "the timeout bounds a silent projector"


def test_projector_with_network_off_is_unreachable():
    probe = ProjectorProbe(
        ProjectorSettings("proj-02", "127.0.0.1", free_closed_port(), timeout_seconds=0.5)
    )
    assert device_sample(probe.collect())["state"] == "unreachable"
    with pytest.raises(PJLinkUnreachable, match="refused"):
        PJLinkClient("127.0.0.1", free_closed_port(), timeout=0.5).connect()


def test_wrong_password_is_erra_and_reported_as_auth_failed(caplog):
    projector = FakeProjector(password="right")
    with PJLinkServer(projector) as server:
        with pytest.raises(PJLinkAuthError, match="ERRA"):
            with PJLinkClient("127.0.0.1", server.port, password="wrong", timeout=2) as client:
                client.query("POWR")
        probe = probe_for(server, password="wrong")
        with caplog.at_level(logging.ERROR):
            fields = device_sample(probe.collect())
            probe.collect()
    assert fields == {"reachable": 1, "auth_failed": 1}
    assert probe.reachable, "it answered: online, but misconfigured"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "proj-01" in errors[0] and "password" in errors[0]


def test_lamp_err1_means_no_lamp_and_err4_sets_error():
    with PJLinkServer(FakeProjector(lamps=None)) as server:  # LED projector: LAMP -> ERR1
        fields = device_sample(probe_for(server).collect())
    assert "lamp_hours" not in fields and "lamp_count" not in fields and fields["error"] == 0
    with PJLinkServer(FakeProjector(forced={"ERST": "ERR4"})) as server:
        fields = device_sample(probe_for(server).collect())
    assert fields["error"] == 1, "ERR4 = projector/display failure"
