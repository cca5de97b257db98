"""The board probe against real TCP ports on 127.0.0.1: present when a port answers (accepted
or refused), uptime while present, and PJLink power where the panel speaks it."""

from __future__ import annotations

from schoolnet_agent.probes.board import BoardProbe, BoardSettings
from tests.support.pjlink_server import FakeProjector, PJLinkServer, free_closed_port


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
