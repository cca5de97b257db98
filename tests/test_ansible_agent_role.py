"""The schoolnet_agent role rendering agent.toml with real ansible-playbook runs on localhost.

Two hosts of one school share each run: a gateway and a lab PC whose inventory name is
mixed-case with a domain, so one run checks both usernames and the device-id derivation.
The rendered files are read back with tomllib and with the agent's own config loader.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ANSIBLE_DIR = ROOT / "ansible"
PLAYBOOK_BIN = Path(sys.executable).parent / "ansible-playbook"
VAULT_BIN = Path(sys.executable).parent / "ansible-vault"
# Quotes, backslash, ':' and a character outside the BMP: everything TOML must escape or keep.
NASTY_PASSWORD = 'p"a\\ss:wörd😀\x7f'

RENDER_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: schoolnet_agent
        tasks_from: config
      vars:
        schoolnet_agent_config_dir: "{{ out }}/{{ inventory_hostname }}"
        schoolnet_agent_system_group: "{{ test_group }}"
        schoolnet_agent_manage_service: false
"""


def run_playbook(tmp: Path, inventory: dict, play: str, *extra: str) -> subprocess.CompletedProcess:
    """ansible-playbook from ansible/ (so its ansible.cfg and roles_path apply), local only."""
    (tmp / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp / "play.yml").write_text(play)
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"),
               ANSIBLE_REMOTE_TEMP=str(tmp / "ansible-tmp"), ANSIBLE_RETRY_FILES_ENABLED="0")
    return subprocess.run([str(PLAYBOOK_BIN), "-i", str(tmp / "inventory.yml"), str(tmp / "play.yml"),
                           "-e", f"out={tmp / 'out'}", *extra],
                          cwd=ANSIBLE_DIR, env=env, capture_output=True, text=True, timeout=120)


def school_inventory(**overrides) -> dict:
    group_vars = {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "test_group": "nogroup" if _group_exists("nogroup") else "root",
        "schoolnet_agent_school": "lc-bxa-th-012", "schoolnet_agent_mqtt_host": "127.0.0.1",
        "schoolnet_agent_mqtt_password": NASTY_PASSWORD, **overrides,
    }
    group_vars = {k: v for k, v in group_vars.items() if v is not None}
    return {"all": {"vars": group_vars, "hosts": {
        "lc-bxa-th-012-gw": {"schoolnet_agent_kind": "gateway"},
        "LC-BXA-TH-012-PC01.school.lan": {},
    }}}


def _group_exists(name: str) -> bool:
    import grp

    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def load_rendered(tmp: Path, host: str) -> dict:
    with open(tmp / "out" / host / "agent.toml", "rb") as f:
        return tomllib.load(f)


def test_gateway_logs_in_as_school_and_pc_as_school_slash_device(tmp_path):
    result = run_playbook(tmp_path, school_inventory(), RENDER_PLAY)
    assert result.returncode == 0, result.stdout + result.stderr
    gateway = load_rendered(tmp_path, "lc-bxa-th-012-gw")
    pc = load_rendered(tmp_path, "LC-BXA-TH-012-PC01.school.lan")
    assert gateway["mqtt"]["username"] == "lc-bxa-th-012"
    assert gateway["device"] == {"school": "lc-bxa-th-012", "id": "gw", "kind": "gateway",
                                 "interval_seconds": 60}
    # Lowercased, domain dropped, "<school>-" prefix dropped.
    assert pc["device"]["id"] == "pc01" and pc["device"]["kind"] == "lab_pc"
    assert pc["mqtt"]["username"] == "lc-bxa-th-012/pc01"
    assert pc["mqtt"]["password"] == NASTY_PASSWORD
    assert pc["mqtt"]["port"] == 8883 and pc["mqtt"]["tls"] is True
    assert pc["state"] == {"directory": "/var/lib/schoolnet-agent"}
    mode = (tmp_path / "out" / "lc-bxa-th-012-gw" / "agent.toml").stat().st_mode & 0o777
    assert mode == 0o640


def test_rendered_config_is_accepted_by_the_agent(tmp_path):
    from schoolnet_agent.config import load_config

    inventory = school_inventory(schoolnet_agent_probes_disabled=["sensors"])
    assert run_playbook(tmp_path, inventory, RENDER_PLAY).returncode == 0
    config = load_config(str(tmp_path / "out" / "lc-bxa-th-012-gw" / "agent.toml"), env={})
    assert (config.device.school, config.device.id, config.device.kind) == ("lc-bxa-th-012", "gw", "gateway")
    assert config.mqtt.username == "lc-bxa-th-012" and config.mqtt.password == NASTY_PASSWORD
    assert "sensors" not in config.probes.active and config.probes.active


def test_vaulted_password_is_decrypted_into_the_config(tmp_path):
    vault_pass = tmp_path / "vault-pass"
    vault_pass.write_text("rollout-team-secret\n")
    encrypted = subprocess.run(
        [str(VAULT_BIN), "encrypt_string", "--vault-password-file", str(vault_pass),
         "pc01-Secret:42", "--name", "schoolnet_agent_mqtt_password"],
        capture_output=True, text=True, check=True, timeout=60).stdout
    inventory = school_inventory(schoolnet_agent_mqtt_password=None)
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "group_vars" / "all.yml").write_text(encrypted)
    result = run_playbook(tmp_path, inventory, RENDER_PLAY, "--vault-password-file", str(vault_pass))
    assert result.returncode == 0, result.stdout + result.stderr
    assert load_rendered(tmp_path, "lc-bxa-th-012-gw")["mqtt"]["password"] == "pc01-Secret:42"
    assert "pc01-Secret" not in result.stdout


# One host a wrong value, all in one run: each must fail with a message naming its variable.
WRONG_VALUES = {
    "no-password": ({"schoolnet_agent_mqtt_password": None},
                    "missing required arguments: schoolnet_agent_mqtt_password"),
    "bad-kind": ({"schoolnet_agent_kind": "router"},
                 "value of schoolnet_agent_kind must be one of: gateway, lab_pc, admin_pc, teacher_pc, got: router"),
    # The message sits JSON-escaped in Ansible's output line.
    "bad-school": ({"schoolnet_agent_school": "LC BXA 012"}, 'schoolnet_agent_school \\"LC BXA 012\\"'),
    "bad-device": ({"schoolnet_agent_device_id": "-pc01"}, "must both match"),
    "bad-interval": ({"schoolnet_agent_interval_seconds": 5}, "schoolnet_agent_interval_seconds must be 10..3600"),
    "empty-password": ({"schoolnet_agent_mqtt_password": ""}, "schoolnet_agent_mqtt_password must be a non-empty"),
}


def test_wrong_values_fail_naming_the_variable(tmp_path):
    inventory = school_inventory(schoolnet_agent_mqtt_password=None)
    inventory["all"]["hosts"] = {
        name: {"schoolnet_agent_mqtt_password": "secret", **override}
        for name, (override, _) in WRONG_VALUES.items()}
    for host_vars in inventory["all"]["hosts"].values():
        if host_vars["schoolnet_agent_mqtt_password"] is None:
            del host_vars["schoolnet_agent_mqtt_password"]
    result = run_playbook(tmp_path, inventory, RENDER_PLAY)
    assert result.returncode != 0
    fatal = {line.split("]")[0].removeprefix("fatal: ["): line
             for line in result.stdout.splitlines() if line.startswith("fatal: [")}
    for host, (_, message) in WRONG_VALUES.items():
        assert message in fatal.get(host, ""), f"{host}: {fatal.get(host, result.stdout[-2000:])}"
    assert not (tmp_path / "out").exists()
