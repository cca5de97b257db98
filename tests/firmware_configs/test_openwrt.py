"""firmware_configs/openwrt: the procd init script, run by a POSIX shell against stand-ins.

OpenWrt's rc.common and procd are not available here. The stand-ins below only record what
``start_service`` asks procd for, which is what this script decides: the command line, the
respawn policy, and refusing to start without the agent or its configuration.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.paths import ROOT as ROOT_DIR

SCRIPT = ROOT_DIR / "firmware_configs" / "openwrt" / "schoolnet-agent.init"
SHELL = shutil.which("dash") or "/bin/sh"
STAND_INS = """
procd_open_instance() { echo "open"; }
procd_set_param() { echo "param $*"; }
procd_close_instance() { echo "close"; }
"""


def start_service(prog: Path, config: Path) -> subprocess.CompletedProcess:
    harness = f'{STAND_INS}\n. "{SCRIPT}"\nPROG="{prog}"\nCONFIG="{config}"\nstart_service\n'
    return subprocess.run([SHELL, "-c", harness], capture_output=True, text=True, timeout=10)


def test_script_parses_as_posix_shell():
    result = subprocess.run([SHELL, "-n", str(SCRIPT)], capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
    assert SCRIPT.read_text().startswith("#!/bin/sh /etc/rc.common\n")
    assert "USE_PROCD=1" in SCRIPT.read_text().splitlines()


def test_start_service_asks_procd_for_the_agent_with_unlimited_respawn(tmp_path):
    prog, config = tmp_path / "schoolnet-agent", tmp_path / "agent.toml"
    prog.write_text("#!/bin/sh\n")
    prog.chmod(0o755)
    config.write_text("[device]\n")
    result = start_service(prog, config)
    assert result.returncode == 0, result.stderr
    calls = result.stdout.splitlines()
    assert calls[0] == "open" and calls[-1] == "close"
    assert f"param command {prog} run --config {config}" in calls
    assert "param respawn 3600 5 0" in calls
    assert f"param file {config}" in calls


@pytest.mark.parametrize("missing", ["agent", "config"])
def test_start_service_refuses_without_agent_or_config(tmp_path, missing):
    prog, config = tmp_path / "schoolnet-agent", tmp_path / "agent.toml"
    if missing != "agent":
        prog.write_text("#!/bin/sh\n")
        prog.chmod(0o755)
    if missing != "config":
        config.write_text("[device]\n")
    result = start_service(prog, config)
    assert result.returncode == 1
    assert "open" not in result.stdout
    assert str(prog if missing == "agent" else config) in result.stderr
