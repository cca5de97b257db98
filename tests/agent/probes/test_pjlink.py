"""PJLink client and projector probe against a projector served over real TCP on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import time

import pytest

from schoolnet_agent.probes.board import BoardProbe, BoardSettings
from schoolnet_agent.probes.board_usb import UsbBoardProbe
from schoolnet_agent.probes.helpers.pjlink import (
    PJLinkAuthError,
    PJLinkClient,
    PJLinkCommandError,
    PJLinkProtocolError,
    PJLinkUnreachable,
    auth_digest,
    parse_errors,
    parse_lamps,
    poll,
)
from schoolnet_agent.probes.projector import ProjectorProbe, ProjectorSettings
from schoolnet_agent.probes.sampling import ProbeSet
from schoolnet_agent.protocol import build_report, validate
from tests.support.paths import FIXTURES
from tests.support.pjlink_server import FakeProjector, PJLinkServer


def free_closed_port() -> int:
    """A loopback port with nothing listening (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def test_digest_is_md5_of_random_and_password():
    # The worked example of the PJLink specification: random 498e4a67, password JBMIAProjectorLink.
    assert auth_digest("498e4a67", "JBMIAProjectorLink") == "5d8409bc1c3fa39749434aa3a5c38682"


def test_class1_projector_without_password():
    with PJLinkServer(FakeProjector(lamps="1500 1")) as server:
        with PJLinkClient("127.0.0.1", server.port, timeout=2) as client:
            assert not client.authenticated
            status = poll(client)
    assert status.pjclass == 1 and status.power == "on"
    assert status.errors == dict.fromkeys(
        ("fan", "lamp", "temperature", "cover", "filter", "other"), 0
    )
    assert status.lamps == [(1500, True)] and status.input == "31"
    assert (status.manufacturer, status.model, status.name) == ("EPSON", "EB-X05", "Phong Tin 1")
    assert status.serial is None, "class 1 has no SNUM"
    assert not any(line.startswith("%2") for line in server.projector.received)


def test_class2_projector_with_password_sends_the_digest_only_once():
    projector = FakeProjector(password="secret", pjclass=2, lamps="3100 1 2900 0", input="3A")
    with PJLinkServer(projector) as server:
        with PJLinkClient("127.0.0.1", server.port, password="secret", timeout=2) as client:
            status = poll(client)
    assert status.pjclass == 2 and status.input == "3A"
    assert status.serial == "X5KF1234567" and status.software_version == "1.02"
    assert status.filter_hours == 420 and status.lamps == [(3100, True), (2900, False)]
    assert projector.received[0] == "%1CLSS ?"
    assert "%2INPT ?" in projector.received and "%2SNUM ?" in projector.received


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


def test_missing_password_is_an_auth_error_before_sending_anything():
    projector = FakeProjector(password="right")
    with PJLinkServer(projector) as server:
        with pytest.raises(PJLinkAuthError, match=r"no.*password|password.*none"):
            PJLinkClient("127.0.0.1", server.port, timeout=2).connect()
    assert projector.received == []


@pytest.mark.parametrize("code", ["ERR1", "ERR2", "ERR3", "ERR4"])
def test_err_replies_raise_with_their_meaning(code):
    with PJLinkServer(FakeProjector(forced={"LAMP": code})) as server:
        with PJLinkClient("127.0.0.1", server.port, timeout=2) as client:
            with pytest.raises(PJLinkCommandError) as info:
                client.query("LAMP")
            assert client.query("POWR") == "1", "the connection stays usable"
    assert info.value.code == code and code in str(info.value)


def test_lamp_err1_means_no_lamp_and_err4_sets_error():
    with PJLinkServer(FakeProjector(lamps=None)) as server:  # LED projector: LAMP -> ERR1
        fields = device_sample(probe_for(server).collect())
    assert "lamp_hours" not in fields and "lamp_count" not in fields and fields["error"] == 0
    with PJLinkServer(FakeProjector(forced={"ERST": "ERR4"})) as server:
        fields = device_sample(probe_for(server).collect())
    assert fields["error"] == 1, "ERR4 = projector/display failure"


def test_unknown_class2_command_on_class1_projector_is_err1():
    with PJLinkServer(FakeProjector(pjclass=1)) as server:
        with PJLinkClient("127.0.0.1", server.port, timeout=2) as client:
            with pytest.raises(PJLinkCommandError, match="ERR1"):
                client.query("SNUM", pjclass=2)


def test_not_pjlink_is_a_protocol_error():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        client = PJLinkClient("127.0.0.1", port, timeout=2)
        import threading

        def greet_http():
            conn, _ = listener.accept()
            conn.sendall(b"HTTP/1.1 400 Bad Request\r\n")
            time.sleep(0.2)
            conn.close()

        t = threading.Thread(target=greet_http)
        t.start()
        with pytest.raises(PJLinkProtocolError, match="HTTP"):
            client.connect()
        client.close()
        t.join()


def test_value_parsers_refuse_garbage():
    assert parse_lamps("10 1 20 0") == [(10, True), (20, False)]
    for bad in ("", "10", "10 2", "x 1"):
        with pytest.raises(PJLinkProtocolError):
            parse_lamps(bad)
    for bad in ("00000", "0000003", "00a000"):
        with pytest.raises(PJLinkProtocolError):
            parse_errors(bad)


def test_board_presence_uptime_and_pjlink():
    clock = [100.0]
    with PJLinkServer(FakeProjector(power="1")) as server:
        settings = BoardSettings(
            "board-01",
            "127.0.0.1",
            tcp_ports=[free_closed_port(), server.port],
            timeout_seconds=0.5,
        )
        probe = BoardProbe(settings, clock=lambda: clock[0])
        first = probe.collect()[0].fields
        clock[0] = 160.0
        second = probe.collect()[0].fields
    assert first == {"reachable": 1, "uptime_seconds": 0}
    assert second == {"reachable": 1, "uptime_seconds": 60.0}


def test_board_absent_when_no_port_answers_and_uptime_restarts():
    clock = [0.0]
    answers = [True, False, True]
    probe = BoardProbe(
        BoardSettings("board-02", "127.0.0.1", tcp_ports=[1]),
        presence=lambda host, port, timeout: answers.pop(0),
        clock=lambda: clock[0],
    )
    seen = []
    for t in (0.0, 30.0, 90.0):
        clock[0] = t
        seen.append(probe.collect()[0].fields)
    assert seen == [
        {"reachable": 1, "uptime_seconds": 0},
        {"reachable": 0, "uptime_seconds": 0},
        {"reachable": 1, "uptime_seconds": 0},
    ]


def test_board_with_pjlink_reports_power():
    with PJLinkServer(FakeProjector(power="0")) as server:
        probe = BoardProbe(
            BoardSettings(
                "board-03",
                "127.0.0.1",
                tcp_ports=[server.port],
                pjlink=True,
                pjlink_port=server.port,
            )
        )
        fields = probe.collect()[0].fields
    assert fields["state"] == "off" and fields["power_on"] == 0 and fields["reachable"] == 1
    assert probe.inventory["model"] == "EB-X05"


def test_usb_board_probe_recognises_board_vendors(tmp_path):
    for name, vendor in (("1-1", "046d"), ("1-2", "6615"), ("1-2:1.0", None), ("2-1", "0b8c")):
        (tmp_path / name).mkdir()
        if vendor:
            (tmp_path / name / "idVendor").write_text(vendor + "\n")
    fields = UsbBoardProbe(str(tmp_path)).collect()[0].fields
    assert fields == {"present": 1, "devices_count": 2, "vendor": "IRTOUCH Systems"}
    (tmp_path / "1-2" / "idVendor").unlink()
    (tmp_path / "2-1" / "idVendor").unlink()
    assert UsbBoardProbe(str(tmp_path)).collect()[0].fields == {"present": 0, "devices_count": 0}
    assert UsbBoardProbe(str(tmp_path / "missing")).collect() == []


@pytest.mark.parametrize("cls", [ProjectorProbe, BoardProbe, UsbBoardProbe])
def test_subdevice_fields_carry_their_unit(cls):
    from schoolnet_agent.probes.base import SUFFIX_UNITS

    names = [f.name for f in cls.fields]
    assert len(names) == len(set(names)) and cls.description
    for f in cls.fields:
        if f.unit in SUFFIX_UNITS:
            assert f.name.endswith("_" + f.unit), f.name
        if f.unit == "count":
            assert f.name.endswith("_count"), f.name
        assert f.description, f.name


def test_usb_board_probe_on_windows_asks_wmi_at_most_every_15_minutes():
    import subprocess

    text = (FIXTURES / "wmi" / "pnp_usb_board.json").read_text()
    calls, clock = [], [0.0]

    def powershell(argv, **kw):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, text, "")

    probe = UsbBoardProbe(system="Windows", run=powershell, clock=lambda: clock[0])
    for t in (0.0, 60.0, 899.0):
        clock[0] = t
        assert probe.collect()[0].fields == {
            "present": 1,
            "devices_count": 1,
            "vendor": "IRTOUCH Systems",
        }
    assert len(calls) == 1 and "Win32_PnPEntity" in calls[0][-1]
    clock[0] = 900.0
    probe.collect()
    assert len(calls) == 2


def test_pnp_vendor_ids_skip_interfaces_and_refuse_garbage():
    from schoolnet_agent.probes.board_usb import pnp_vendor_ids

    assert pnp_vendor_ids('"USB\\\\VID_0B8C&PID_0001\\\\1"') == ["0b8c"]
    assert pnp_vendor_ids('["USB\\\\VID_0B8C&PID_0001&MI_00\\\\1"]') == []
    assert pnp_vendor_ids("") == []
    with pytest.raises(RuntimeError, match="no JSON"):
        pnp_vendor_ids("Get-CimInstance : Access denied")
