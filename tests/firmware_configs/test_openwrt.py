"""firmware_configs/openwrt: the procd init script, the agent's user and its one capability.

OpenWrt's rc.common, procd and /lib/functions.sh are not available here. The stand-ins below
only record what the scripts ask of them, which is what the scripts decide: the command line,
the user, group and capability file procd runs it with, the respawn policy, refusing to start
without the agent, its configuration or its capabilities; and the user the uci-defaults
script adds once. The capability file itself is checked for real: an unprivileged process
given exactly its capabilities (setpriv) opens the raw socket the gateway's probes need, and
without them it cannot.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ROOT as ROOT_DIR

OPENWRT = ROOT_DIR / "firmware_configs" / "openwrt"
SCRIPT = OPENWRT / "schoolnet-agent.init"
CAPABILITIES = OPENWRT / "schoolnet-agent.capabilities.json"
UCI_DEFAULTS = OPENWRT / "schoolnet-agent.uci-defaults"
SHELL = shutil.which("dash") or "/bin/sh"
STAND_INS = """
procd_open_instance() { echo "open"; }
procd_set_param() { echo "param $*"; }
procd_close_instance() { echo "close"; }
"""
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def start_service(
    prog: Path, config: Path, state: Path, capabilities: Path = CAPABILITIES
) -> subprocess.CompletedProcess:
    harness = (
        f'{STAND_INS}\n. "{SCRIPT}"\nPROG="{prog}"\nCONFIG="{config}"\n'
        f'CAPABILITIES="{capabilities}"\nSTATE_HOME="{state}"\n'
        f'AGENT_USER="{ME}"\nAGENT_GROUP="{MY_GROUP}"\nstart_service\n'
    )
    return subprocess.run([SHELL, "-c", harness], capture_output=True, text=True, timeout=10)


def installed(tmp_path: Path) -> tuple[Path, Path]:
    prog, config = tmp_path / "schoolnet-agent", tmp_path / "agent.toml"
    prog.write_text("#!/bin/sh\n")
    prog.chmod(0o755)
    config.write_text("[device]\n")
    return prog, config


def test_script_parses_as_posix_shell():
    for script in (SCRIPT, UCI_DEFAULTS):
        result = subprocess.run(
            [SHELL, "-n", str(script)], capture_output=True, text=True, timeout=10
        )
        assert result.returncode == 0, (script, result.stderr)
    assert SCRIPT.read_text().startswith("#!/bin/sh /etc/rc.common\n")
    assert "USE_PROCD=1" in SCRIPT.read_text().splitlines()


def test_start_service_asks_procd_for_the_agent_with_unlimited_respawn(tmp_path):
    prog, config = installed(tmp_path)
    result = start_service(prog, config, tmp_path / "state")
    assert result.returncode == 0, result.stderr
    calls = result.stdout.splitlines()
    assert calls[0] == "open" and calls[-1] == "close"
    assert f"param command {prog} run --config {config}" in calls
    assert "param respawn 3600 5 0" in calls
    assert f"param file {config}" in calls


def test_the_agent_runs_as_its_own_user_with_one_capability(tmp_path):
    prog, config = installed(tmp_path)
    state = tmp_path / "state"
    result = start_service(prog, config, state)
    assert result.returncode == 0, result.stderr
    calls = result.stdout.splitlines()
    assert {f"param user {ME}", f"param group {MY_GROUP}"} <= set(calls)
    assert f"param capabilities {CAPABILITIES}" in calls
    assert "param no_new_privs 1" in calls
    assert f"param env XDG_STATE_HOME={state}" in calls  # not /var: a tmpfs on OpenWrt
    assert (state / "schoolnet-agent").stat().st_mode & 0o777 == 0o750
    text = SCRIPT.read_text()
    assert "AGENT_USER=schoolnet\n" in text and "AGENT_GROUP=schoolnet\n" in text
    assert "CAPABILITIES=/etc/capabilities/schoolnet-agent.json\n" in text


def test_capability_file_grants_cap_net_raw_and_nothing_else():
    sets = json.loads(CAPABILITIES.read_text())
    assert sets == {
        name: ["CAP_NET_RAW"]
        for name in ("bounding", "effective", "ambient", "permitted", "inheritable")
    }


@pytest.mark.parametrize("missing", ["agent", "config", "capabilities"])
def test_start_service_refuses_without_agent_config_or_capabilities(tmp_path, missing):
    prog, config = installed(tmp_path)
    capabilities = CAPABILITIES
    if missing == "agent":
        prog.unlink()
    elif missing == "config":
        config.unlink()
    else:
        capabilities = tmp_path / "none.json"
    result = start_service(prog, config, tmp_path / "state", capabilities)
    assert result.returncode == 1
    assert "open" not in result.stdout
    assert str({"agent": prog, "config": config, "capabilities": capabilities}[missing]) in (
        result.stderr
    )


FUNCTIONS = """
group_exists() { grep -q "^$1:" "$GROUPS_FILE"; }
user_exists() { grep -q "^$1:" "$USERS_FILE"; }
group_add() { echo "$1:x:$2:" >> "$GROUPS_FILE"; echo "group_add $*"; }
user_add() { echo "$1:x:$2:$3:$4:$5:$6" >> "$USERS_FILE"; echo "user_add $*"; }
group_add_user() { echo "group_add_user $*"; }
chown() { echo "chown $*"; }
chmod() { echo "chmod $*"; }
"""


def run_uci_defaults(tmp_path: Path) -> subprocess.CompletedProcess:
    functions = tmp_path / "functions.sh"
    functions.write_text(FUNCTIONS)
    env = {
        "PATH": os.environ["PATH"],
        "FUNCTIONS": str(functions),
        "CONFIG_DIR": str(tmp_path / "etc-schoolnet"),
        "GROUPS_FILE": str(tmp_path / "group"),
        "USERS_FILE": str(tmp_path / "passwd"),
    }
    return subprocess.run(
        [SHELL, str(UCI_DEFAULTS)], capture_output=True, text=True, timeout=10, env=env
    )


def test_uci_defaults_adds_the_user_once_and_lets_it_read_its_config(tmp_path):
    (tmp_path / "group").write_text("root:x:0:\ndialout:x:20:\n")
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/ash\n")
    (tmp_path / "etc-schoolnet").mkdir()
    (tmp_path / "etc-schoolnet" / "agent.toml").write_text("[device]\n")
    first = run_uci_defaults(tmp_path)
    assert first.returncode == 0, first.stderr
    calls = first.stdout.splitlines()
    assert "group_add schoolnet 460" in calls
    assert "user_add schoolnet 460 460 schoolnet /opt/schoolnet /bin/false" in calls
    assert "group_add_user dialout schoolnet" in calls  # the USB 3G modem
    config = tmp_path / "etc-schoolnet"
    assert f"chown root:schoolnet {config}/agent.toml" in calls
    assert f"chmod 0640 {config}/agent.toml" in calls and f"chmod 0750 {config}" in calls
    again = run_uci_defaults(tmp_path)
    assert again.returncode == 0  # OpenWrt deletes a uci-defaults script that exits 0
    assert not [c for c in again.stdout.splitlines() if c.startswith(("group_add ", "user_add"))]


RAW_CHECK = (
    "from schoolnet_agent.probes.helpers.rawsocket import try_raw_socket; print(try_raw_socket())"
)


def as_nobody(capabilities: list[str]) -> str:
    """try_raw_socket() in a process of user nobody holding exactly ``capabilities``."""
    caps = ",".join("+" + c.removeprefix("CAP_").lower() for c in capabilities)
    cap_args = [f"--inh-caps={caps}", f"--ambient-caps={caps}"] if caps else []
    result = subprocess.run(
        [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            *cap_args,
            f"--bounding-set=-all{',' + caps if caps else ''}",
            "--no-new-privs",
            sys.executable,
            "-c",
            RAW_CHECK,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv"
)
def test_the_capability_file_is_enough_for_the_gateways_raw_sockets():
    """What the capability file grants is what the ARP and ICMP probes need: an unprivileged
    agent with exactly those capabilities opens its raw socket; with none it cannot."""
    sets = json.loads(CAPABILITIES.read_text())
    assert as_nobody(sets["ambient"]) == "None"
    assert as_nobody([]) == "CAP_NET_RAW missing"
