"""The PJLink client against a projector served over real TCP on 127.0.0.1: class 1 and 2,
authentication, ERRn replies and garbage."""

from __future__ import annotations

import socket
import time

import pytest

from schoolnet_agent.probes.helpers.pjlink import (
    PJLinkAuthError,
    PJLinkClient,
    PJLinkCommandError,
    PJLinkProtocolError,
    auth_digest,
    parse_errors,
    parse_lamps,
    poll,
)
from tests.support.pjlink_server import FakeProjector, PJLinkServer


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
