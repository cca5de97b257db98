"""A full run of the schoolnet_agent role's Linux tasks on localhost, into a temporary root.

What differs from a lab PC: paths point into the test's directory, the account is the existing
``nobody`` (no user is created on this machine), the wheel is the project's own built here,
and ``schoolnet_agent_manage_service`` is false because no systemd runs. The agent that pip
installed then reads the config that the role wrote. The units' content and their
``systemd-analyze`` checks are in test_ansible_agent_role.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.ansible import GATEWAY, ROOT, run_playbook, school_inventory

pytestmark = [pytest.mark.slow, pytest.mark.services]

INSTALL_PLAY = """
- hosts: all
  gather_facts: true
  gather_subset: [min]
  vars:
    root: "{{ out }}/{{ inventory_hostname }}"
    schoolnet_agent_install_dir: "{{ root }}/opt/schoolnet"
    schoolnet_agent_config_dir: "{{ root }}/etc/schoolnet"
    schoolnet_agent_systemd_dir: "{{ root }}/etc/systemd/system"
    schoolnet_agent_python: "{{ ansible_python_interpreter }}"
  roles:
    - schoolnet_agent
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The project's wheel, built from a copy of the tree so the work tree stays untouched."""
    src = tmp_path_factory.mktemp("src")
    shutil.copy(ROOT / "pyproject.toml", src)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for package_dir in ("agent", "collector"):
        shutil.copytree(ROOT / package_dir, src / package_dir, ignore=ignore)
    readme = ROOT / "README.md"
    (src / "README.md").write_text(readme.read_text() if readme.exists() else "schoolnet\n")
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return next(dist.glob("schoolnet-*.whl"))


def install_inventory(wheel: Path) -> dict:
    return school_inventory(
        {GATEWAY: {"schoolnet_agent_kind": "gateway"}},
        schoolnet_agent_system_user="nobody",
        schoolnet_agent_system_group="nogroup",
        schoolnet_agent_manage_service=False,
        schoolnet_agent_pip_source=str(wheel),
        # Dependencies come from this test's own environment (see test below): no download.
        schoolnet_agent_pip_extra_args="--no-deps --no-index",
        # This machine's packages are not the test's to change: the package task is run in
        # check mode only (test_check_mode_changes_nothing_and_would_install_smartmontools).
        schoolnet_agent_install_smartmontools=False,
    )


def test_install_writes_venv_config_and_unit_and_is_idempotent(tmp_path, wheel):
    inventory = install_inventory(wheel)
    root = tmp_path / "out" / "lc-bxa-th-012-gw"
    (root / "etc/systemd/system").mkdir(parents=True)  # there on any systemd machine
    first = run_playbook(tmp_path, inventory, INSTALL_PLAY)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr
    venv = root / "opt/schoolnet/venv"
    agent = venv / "bin/schoolnet-agent"
    assert agent.exists()
    unit = (root / "etc/systemd/system/schoolnet-agent.service").read_text()
    assert f"ExecStart={agent} run --config {root}/etc/schoolnet/agent.toml" in unit
    assert "AmbientCapabilities=CAP_NET_RAW" in unit and "User=nobody" in unit

    second = run_playbook(tmp_path, inventory, INSTALL_PLAY)
    assert second.returncode == 0, second.stdout[-4000:]
    assert "changed=0" in second.stdout.split("PLAY RECAP")[1], second.stdout[-3000:]

    # The installed agent accepts the role's config: one report, printed, nothing sent.
    env = dict(os.environ, PYTHONPATH=sysconfig.get_paths()["purelib"])
    report = subprocess.run(
        [str(agent), "once", "--print", "--config", str(root / "etc/schoolnet/agent.toml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert report.returncode == 0, report.stderr
    assert '"school": "lc-bxa-th-012"' in report.stdout and '"device": "gw"' in report.stdout


def dpkg_status() -> str:
    return Path("/var/lib/dpkg/status").read_text() if Path("/var/lib/dpkg/status").exists() else ""


@pytest.mark.skipif(
    not Path("/usr/bin/apt-get").exists(), reason="the package task is checked against apt"
)
def test_check_mode_changes_nothing_and_would_install_smartmontools(tmp_path, wheel):
    inventory = install_inventory(wheel)
    inventory["all"]["vars"]["schoolnet_agent_install_smartmontools"] = True
    root = tmp_path / "out" / "lc-bxa-th-012-gw"
    (root / "etc/systemd/system").mkdir(parents=True)
    packages_before = dpkg_status()
    result = run_playbook(tmp_path, inventory, INSTALL_PLAY, "--check")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    task = result.stdout.split("TASK [schoolnet_agent : Install smartmontools for disk health]")[1]
    first_line = task.strip().splitlines()[1]
    # "changed" where smartmontools is missing (it would be installed), "ok" where it is there.
    assert first_line.startswith(("changed: [", "ok: [")), task[:500]
    assert dpkg_status() == packages_before
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == [
        "etc",
        "etc/systemd",
        "etc/systemd/system",
    ]
