"""The schoolnet_agent role's templates rendered by real ansible-playbook runs on localhost.

One run renders agent.toml and the systemd unit for three hosts of one school: a gateway, a
lab PC whose inventory name is mixed-case with a domain (device-id derivation), and a PC whose
password comes from an Ansible Vault host_vars file. The files are read back with tomllib and
with the agent's own config loader, and the units go through ``systemd-analyze``.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import tomllib

from tests.support.ansible import (
    ANSIBLE_DIR,
    BIN,
    GATEWAY,
    NASTY_PASSWORD,
    PC,
    VAULTED,
    run_playbook,
    school_inventory,
)

pytestmark = pytest.mark.slow

RENDER_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: schoolnet_agent
        tasks_from: config
        public: true
      vars:
        schoolnet_agent_config_dir: "{{ out }}/{{ inventory_hostname }}"
        schoolnet_agent_system_group: "{{ test_group }}"
        schoolnet_agent_manage_service: false
    - ansible.builtin.template:
        src: "@ROLES@/schoolnet_agent/templates/schoolnet-agent.service.j2"
        dest: "{{ out }}/{{ inventory_hostname }}/schoolnet-agent.service"
        mode: "0644"
""".replace("@ROLES@", str(ANSIBLE_DIR / "roles"))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("render")
    vault_pass = tmp / "vault-pass"
    vault_pass.write_text("rollout-team-secret\n")
    encrypted = subprocess.run(
        [
            str(BIN / "ansible-vault"),
            "encrypt_string",
            "--vault-password-file",
            str(vault_pass),
            "pc02-Secret:42",
            "--name",
            "schoolnet_agent_mqtt_password",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    (tmp / "host_vars").mkdir()
    (tmp / "host_vars" / f"{VAULTED}.yml").write_text(encrypted)
    # A YAML boolean is accepted for metered as well as "true"/"false"/"auto".
    inventory = school_inventory(
        {
            GATEWAY: {"schoolnet_agent_kind": "gateway"},
            PC: {},
            VAULTED: {"schoolnet_agent_budget_metered": False},
        },
        schoolnet_agent_probes_disabled=["sensors"],
    )
    result = run_playbook(tmp, inventory, RENDER_PLAY, "--vault-password-file", str(vault_pass))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return tmp / "out", result


def agent_toml(out: Path, host: str) -> dict:
    with open(out / host / "agent.toml", "rb") as f:
        return tomllib.load(f)


def test_gateway_logs_in_as_school_and_pc_as_school_slash_device(rendered):
    out, _ = rendered
    gateway, pc = agent_toml(out, GATEWAY), agent_toml(out, PC)
    assert gateway["mqtt"]["username"] == "lc-bxa-th-012"
    assert gateway["device"] == {
        "school": "lc-bxa-th-012",
        "id": "gw",
        "kind": "gateway",
        "interval_seconds": 60,
    }
    assert (
        pc["device"]["id"] == "pc01" and pc["device"]["kind"] == "lab_pc"
    )  # lowercased, no domain/prefix
    assert pc["mqtt"]["username"] == "lc-bxa-th-012/pc01"
    assert pc["mqtt"]["password"] == NASTY_PASSWORD
    assert pc["mqtt"]["port"] == 8883 and pc["mqtt"]["tls"] is True
    assert pc["probes"] == {"disabled": ["sensors"]} and pc["state"] == {
        "directory": "/var/lib/schoolnet-agent"
    }
    assert (out / GATEWAY / "agent.toml").stat().st_mode & 0o777 == 0o640


def test_metered_follows_the_school_uplink_unless_set_per_host(rendered):
    out, _ = rendered
    assert (
        agent_toml(out, PC)["budget"]["metered"] == "auto"
    )  # schoolnet_agent_school_uplink: fixed
    assert agent_toml(out, VAULTED)["budget"]["metered"] is False
    assert "gateway" in agent_toml(out, GATEWAY) and "gateway" not in agent_toml(out, PC)


def test_rendered_config_is_accepted_by_the_agent(rendered):
    from schoolnet_agent.config import load_config

    config = load_config(str(rendered[0] / GATEWAY / "agent.toml"), env={})
    assert (config.device.school, config.device.id, config.device.kind) == (
        "lc-bxa-th-012",
        "gw",
        "gateway",
    )
    assert config.mqtt.username == "lc-bxa-th-012" and config.mqtt.password == NASTY_PASSWORD
    assert "sensors" not in config.probes.active and config.probes.active


def test_vaulted_password_is_decrypted_into_the_config_and_never_printed(rendered):
    out, result = rendered
    assert agent_toml(out, VAULTED)["mqtt"]["password"] == "pc02-Secret:42"
    assert "pc02-Secret" not in result.stdout and NASTY_PASSWORD not in result.stdout


def test_only_the_gateway_unit_gets_raw_sockets(rendered):
    gateway = (rendered[0] / GATEWAY / "schoolnet-agent.service").read_text()
    pc = (rendered[0] / PC / "schoolnet-agent.service").read_text()
    assert "AmbientCapabilities=CAP_NET_RAW" in gateway and "AF_PACKET" in gateway
    assert "AmbientCapabilities" not in pc and "CapabilityBoundingSet=" in pc.splitlines()
    for text in (gateway, pc):
        for line in (
            "NoNewPrivileges=true",
            "ProtectSystem=strict",
            "StateDirectory=schoolnet-agent",
            "Restart=always",
            "RestartSec=5",
            "User=schoolnet-agent",
            "ExecStart=/opt/schoolnet/venv/bin/schoolnet-agent run --config /etc/schoolnet/agent.toml",
        ):
            assert line in text.splitlines(), line


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not installed")
@pytest.mark.parametrize("host", [GATEWAY, PC])
def test_units_pass_systemd_analyze(rendered, tmp_path, host):
    # Inside a root where ExecStart exists and systemd's own units are found.
    root = tmp_path / "root"
    (root / "opt/schoolnet/venv/bin").mkdir(parents=True)
    shutil.copy("/bin/true", root / "opt/schoolnet/venv/bin/schoolnet-agent")
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    shutil.copy(rendered[0] / host / "schoolnet-agent.service", root / "etc/systemd/system")
    unit = "/etc/systemd/system/schoolnet-agent.service"
    verify = subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", unit],
        capture_output=True,
        text=True,
        timeout=60,
    )
    # Misspelt settings are only warnings: any output naming the unit is a failure.
    assert verify.returncode == 0 and "schoolnet-agent" not in verify.stdout + verify.stderr, (
        verify.stdout + verify.stderr
    )
    # Exposure 0 (locked down) .. 10 (unsafe), --threshold in tenths. Measured: gateway 2.4, PC 1.7.
    security = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", f"--root={root}", "--threshold=30", unit],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert security.returncode == 0, security.stdout[-1500:] + security.stderr


# One host a wrong value, all in one run: each must fail with a message naming its variable.
WRONG_VALUES = {
    "no-password": (
        {"schoolnet_agent_mqtt_password": None},
        "missing required arguments: schoolnet_agent_mqtt_password",
    ),
    "bad-kind": (
        {"schoolnet_agent_kind": "router"},
        "value of schoolnet_agent_kind must be one of: gateway, lab_pc, admin_pc, teacher_pc, got: router",
    ),
    # The message sits JSON-escaped in Ansible's output line.
    "bad-school": (
        {"schoolnet_agent_school": "LC BXA 012"},
        'schoolnet_agent_school \\"LC BXA 012\\"',
    ),
    "bad-device": ({"schoolnet_agent_device_id": "-pc01"}, "must both match"),
    "bad-interval": (
        {"schoolnet_agent_interval_seconds": 5},
        "schoolnet_agent_interval_seconds must be 10..3600",
    ),
    "empty-password": (
        {"schoolnet_agent_mqtt_password": ""},
        "schoolnet_agent_mqtt_password must be a non-empty",
    ),
    # The rollout features: argument_specs for types and choices, preflight for the rest.
    "bad-uplink": (
        {"schoolnet_agent_school_uplink": "3g"},
        "value of schoolnet_agent_school_uplink must be one of: fixed, cellular, got: 3g",
    ),
    "bad-metered": (
        {"schoolnet_agent_budget_metered": "sometimes"},
        "value of schoolnet_agent_budget_metered must be one of: auto, true, false, got: sometimes",
    ),
    "bad-sync": (
        {"schoolnet_agent_spool_sync": "always"},
        "value of schoolnet_agent_spool_sync must be one of: full, normal, got: always",
    ),
    "bad-spool-size": (
        {"schoolnet_agent_spool_max_mb": "lots"},
        "'schoolnet_agent_spool_max_mb' is of type str and we were unable to convert to int",
    ),
    "bad-line-type": (
        {
            "schoolnet_agent_kind": "gateway",
            "schoolnet_agent_gateway_lines": [
                {"isp": "VNPT", "type": "fiber", "interface": "eth0"}
            ],
        },
        (
            "value of type must be one of: fibre, dsl, ethernet, cellular, got: fiber "
            "found in schoolnet_agent_gateway_lines"
        ),
    ),
    "no-projector-id": (
        {"schoolnet_agent_kind": "gateway", "schoolnet_agent_projectors": [{"host": "10.0.5.21"}]},
        "missing required arguments: id found in schoolnet_agent_projectors",
    ),
    "projector-on-pc": (
        {"schoolnet_agent_projectors": [{"id": "proj-01", "host": "10.0.5.21"}]},
        "belong to the school's gateway (schoolnet_agent_kind gateway); projector-on-pc is lab_pc",
    ),
    "same-board-id": (
        {
            "schoolnet_agent_kind": "gateway",
            "schoolnet_agent_boards": [
                {"id": "b1", "host": "10.0.5.31"},
                {"id": "b1", "host": "10.0.5.32"},
            ],
        },
        'projector and board ids [\\"b1\\", \\"b1\\"] must match',
    ),
    "bad-keepalive": (
        {"schoolnet_agent_budget_keepalive": 5},
        "_gateway_keepalive 20..3600 (are 5, 60)",
    ),
    "token-missing": (
        {
            "schoolnet_agent_kind": "gateway",
            "schoolnet_agent_gateway_speedtest_url": "https://collector.test/api/v1/speedtest",
        },
        "must be http(s):// and come with schoolnet_agent_gateway_speedtest_token",
    ),
}


def test_wrong_values_fail_naming_the_variable(tmp_path):
    hosts = {
        name: {
            k: v
            for k, v in {"schoolnet_agent_mqtt_password": "secret", **override}.items()
            if v is not None
        }
        for name, (override, _) in WRONG_VALUES.items()
    }
    result = run_playbook(
        tmp_path, school_inventory(hosts, schoolnet_agent_mqtt_password=None), RENDER_PLAY
    )
    assert result.returncode != 0
    fatal = {
        line.split("]")[0].removeprefix("fatal: ["): line
        for line in result.stdout.splitlines()
        if line.startswith("fatal: [")
    }
    for host, (_, message) in WRONG_VALUES.items():
        assert message in fatal.get(host, ""), f"{host}: {fatal.get(host, result.stdout[-2000:])}"
    assert not (tmp_path / "out").exists()
