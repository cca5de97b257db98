"""``[[projectors]]`` and ``[[boards]]`` in the gateway's configuration: good values load,
every wrong one stops the agent with one line naming the entry and the key."""

from __future__ import annotations

import subprocess
import sys

import pytest

from schoolnet_agent.config import ConfigError, load_config

GATEWAY = '[device]\nschool = "lc-test-01"\nid = "gw-01"\nkind = "gateway"\n'


def load(tmp_path, text: str):
    path = tmp_path / "agent.toml"
    path.write_text(text + GATEWAY)  # TOML: the order of tables does not matter
    return load_config(str(path), env={})


def test_projectors_and_boards_load_with_defaults(tmp_path):
    config = load(
        tmp_path,
        '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.21"\n'
        'password = "JBMIA"\nlamp_rated_hours = 4000\n'
        '[[projectors]]\nid = "proj-02"\nhost = "proj-02.lab.local"\n'
        '[[boards]]\nid = "board-01"\nhost = "10.0.5.31"\n'
        "tcp_ports = [80, 443]\npjlink = true\n",
    )
    p1, p2 = config.subdevices["projectors"]
    assert (p1.id, p1.host, p1.port, p1.password, p1.lamp_rated_hours) == (
        "proj-01",
        "10.0.5.21",
        4352,
        "JBMIA",
        4000,
    )
    assert p2.password is None and p2.timeout_seconds == 3.0
    (board,) = config.subdevices["boards"]
    assert board.tcp_ports == [80, 443] and board.pjlink and board.pjlink_port == 4352


def test_none_configured_is_fine_on_any_device(tmp_path):
    config = load(tmp_path, "")
    assert config.subdevices == {"projectors": [], "boards": []}


@pytest.mark.parametrize(
    "text, message",
    [
        ('[[projectors]]\nhost = "10.0.5.21"\n', "projectors[1].id: required key missing"),
        ('[[projectors]]\nid = "proj-01"\n', "projectors[1].host: required key missing"),
        (
            '[[projectors]]\nid = "Proj 01"\nhost = "10.0.5.21"\n',
            "projectors[1].id: expected an id",
        ),
        (
            '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.300"\n',
            'projectors[1].host: expected a host name or IP address, got "10.0.5.300"',
        ),
        (
            '[[projectors]]\nid = "proj-01"\nhost = "a b"\n',
            "projectors[1].host: expected a host name",
        ),
        (
            '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.21"\nport = 70000\n',
            "projectors[1].port: expected an integer 1-65535, got 70000",
        ),
        (
            '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.21"\npasword = "x"\n',
            "projectors[1].pasword: unknown key (did you mean 'password'?)",
        ),
        (
            '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.21"\nlamp_rated_hours = "4000h"\n',
            'projectors[1].lamp_rated_hours: expected a number of hours 1-100000, got "4000h"',
        ),
        (
            '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.21"\ntimeout_seconds = 0\n',
            "projectors[1].timeout_seconds: expected a number of seconds 0.1-60, got 0",
        ),
        (
            (
                '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.21"\n'
                '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.22"\n'
            ),
            "projectors[2].id: 'proj-01' is already used by projectors[1].id",
        ),
        (
            '[[boards]]\nid = "gw-01"\nhost = "10.0.5.31"\n',
            "boards[1].id: 'gw-01' is already used by device.id",
        ),
        (
            '[[projectors]]\nid = "dev-1"\nhost = "10.0.5.21"\n[[boards]]\nid = "dev-1"\nhost = "10.0.5.31"\n',
            "boards[1].id: 'dev-1' is already used by projectors[1].id",
        ),
        (
            '[[boards]]\nid = "board-01"\nhost = "10.0.5.31"\ntcp_ports = []\n',
            "boards[1].tcp_ports: expected a non-empty list of TCP ports 1-65535, got []",
        ),
        (
            '[[boards]]\nid = "board-01"\nhost = "10.0.5.31"\ntcp_ports = [80, "http"]\n',
            "boards[1].tcp_ports: expected a non-empty list of TCP ports",
        ),
        (
            '[[boards]]\nid = "board-01"\nhost = "10.0.5.31"\npjlink = "yes"\n',
            'boards[1].pjlink: expected true or false, got "yes"',
        ),
        (
            'projectors = "10.0.5.21"\n',
            'projectors: expected tables [[projectors]], got "10.0.5.21"',
        ),
    ],
)
def test_wrong_entries_name_entry_and_key(tmp_path, text, message):
    with pytest.raises(ConfigError) as info:
        load(tmp_path, text)
    assert str(info.value).startswith("config error: ")
    assert message in str(info.value)


def test_the_cli_refuses_a_wrong_projector_in_one_line(tmp_path):
    path = tmp_path / "agent.toml"
    path.write_text(GATEWAY + '[[projectors]]\nid = "proj-01"\nhost = "10.0.5.21"\nport = 0\n')
    done = subprocess.run(
        [sys.executable, "-m", "schoolnet_agent.cli", "run", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "config error: projectors[1].port: expected an integer 1-65535, got 0"
    )
