"""The agent promises Python 3.10 (older lab images): install it alone into a 3.10 virtualenv
(core dependencies only, no collector extras) and let it print a valid report."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from schoolnet_agent.protocol import validate
from tests.support.paths import ROOT as ROOT_DIR

ROOT = ROOT_DIR


def find_python310() -> str | None:
    """A python3.10 that really runs (a pyenv shim may exist without the version enabled)."""
    candidates = [
        shutil.which("python3.10"),
        *map(str, Path.home().glob(".pyenv/versions/3.10*/bin/python3.10")),
    ]
    for path in filter(None, candidates):
        if subprocess.run([path, "-c", "import venv"], capture_output=True).returncode == 0:
            return path
    return None


PY310 = find_python310()


@pytest.mark.slow
@pytest.mark.skipif(PY310 is None, reason="no python3.10 on this machine")
def test_agent_installs_and_reports_on_python_3_10(tmp_path):
    venv = tmp_path / "venv310"
    subprocess.run([PY310, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [venv / "bin/pip", "install", "-q", str(ROOT)], capture_output=True, text=True, timeout=600
    )
    assert pip.returncode == 0, pip.stderr[-2000:]
    installed = subprocess.run(
        [venv / "bin/pip", "list", "--format=json"], capture_output=True, text=True, check=True
    ).stdout
    names = {p["name"].lower() for p in json.loads(installed)}
    assert {"paho-mqtt", "psutil", "fastjsonschema", "tomli"} <= names
    assert not names & {"fastapi", "influxdb-client", "sqlalchemy", "scapy"}, (
        "agent pulled collector deps"
    )
    out = subprocess.run(
        [venv / "bin/schoolnet-agent", "once", "--print"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert validate(report)["metrics"]
    collector = subprocess.run(
        [venv / "bin/schoolnet-collector", "--help"], capture_output=True, text=True
    )
    assert collector.returncode != 0 and "3.11" in (collector.stderr + collector.stdout)
