"""Running the project's Ansible roles on localhost, shared by the ansible tests."""

from __future__ import annotations

import grp
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.paths import ROOT as ROOT_DIR

ROOT = ROOT_DIR
ANSIBLE_DIR = ROOT / "ansible"
BIN = Path(sys.executable).parent
# Quotes, backslash, ':', DEL and a character outside the BMP: all that TOML must escape or keep.
NASTY_PASSWORD = 'p"a\\ss:wörd😀\x7f'
GATEWAY, PC, VAULTED = "lc-bxa-th-012-gw", "LC-BXA-TH-012-PC01.school.lan", "lc-bxa-th-012-pc02"


def run_playbook(tmp: Path, inventory: dict, play: str, *extra: str) -> subprocess.CompletedProcess:
    """ansible-playbook from ansible/ (so its ansible.cfg and roles_path apply), local only."""
    (tmp / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp / "play.yml").write_text(play)
    env = dict(
        os.environ,
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
        ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-tmp"),
        ANSIBLE_RETRY_FILES_ENABLED="0",
    )
    return subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(tmp / "inventory.yml"),
            str(tmp / "play.yml"),
            "-e",
            f"out={tmp / 'out'}",
            *extra,
        ],
        cwd=ANSIBLE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def school_inventory(hosts: dict | None = None, **overrides) -> dict:
    """One school on localhost; an override of None removes that variable."""
    group_vars = {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "test_group": "nogroup" if "nogroup" in {g.gr_name for g in grp.getgrall()} else "root",
        "schoolnet_agent_school": "lc-bxa-th-012",
        "schoolnet_agent_mqtt_host": "127.0.0.1",
        "schoolnet_agent_mqtt_password": NASTY_PASSWORD,
        **overrides,
    }
    group_vars = {k: v for k, v in group_vars.items() if v is not None}
    hosts = {GATEWAY: {"schoolnet_agent_kind": "gateway"}, PC: {}} if hosts is None else hosts
    return {"all": {"vars": group_vars, "hosts": hosts}}
