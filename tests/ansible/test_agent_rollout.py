"""The example inventory, rendered by the schoolnet_agent role, is a configuration the agent runs.

Four devices of ``ansible/inventory.example.yml`` (a PC and the gateway of the 3G school, the
same of the fibre school) get their agent.toml from one real ``ansible-playbook`` run, with
the secrets in an ``ansible-vault`` encrypted file as the rollout team keeps them. The files are
then read by the agent itself: its config loader, ``schoolnet-agent once --print``, and, for the
3G school's PC, ``schoolnet-agent run`` against a real Mosquitto on 127.0.0.1, whose log must
say it runs metered although that PC sees only its LAN. The gateway's probes are not run: they
would ping and sweep the example's addresses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import tomllib
import yaml

from devenv.services import Mosquitto, MqttAccount
from tests.support.ansible import ANSIBLE_DIR, BIN, run_playbook, school_inventory

pytestmark = [pytest.mark.services, pytest.mark.slow]

CELLULAR_PC, CELLULAR_GW = "lc-bha-th-031-pc01", "lc-bha-th-031-gw"
FIBRE_PC, FIBRE_GW = "lc-bxa-th-012-pc01", "lc-bxa-th-012-gw"
HOSTS = (CELLULAR_PC, CELLULAR_GW, FIBRE_PC, FIBRE_GW)
SECRETS = {
    "vault_mqtt_passwords": {host: f"{host}-mqtt-secret" for host in HOSTS},
    "vault_pjlink_passwords": {"lc-bxa-th-012/proj-01": "JBMIAProjectorLink"},
    "vault_speedtest_tokens": {"lc-bxa-th-012": "token-bxa-012", "lc-bha-th-031": "token-bha-031"},
}

RENDER_PLAY = """
- hosts: {hosts}
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: schoolnet_agent
        tasks_from: config
      vars:
        schoolnet_agent_config_dir: "{{{{ out }}}}/{{{{ inventory_hostname }}}}"
        schoolnet_agent_state_dir: "{{{{ out }}}}/{{{{ inventory_hostname }}}}/state"
        schoolnet_agent_system_group: "{group}"
        schoolnet_agent_manage_service: false
""".format(hosts=",".join(HOSTS), group=school_inventory()["all"]["vars"]["test_group"])


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example inventory as written, its secrets in a vaulted file; agent.toml of HOSTS."""
    tmp = tmp_path_factory.mktemp("example")
    vault_pass = tmp / "vault-pass"
    vault_pass.write_text("rollout-team-secret\n")
    secrets = tmp / "vault.yml"
    secrets.write_text(yaml.safe_dump(SECRETS))
    subprocess.run(
        [
            str(BIN / "ansible-vault"),
            "encrypt",
            "--vault-password-file",
            str(vault_pass),
            str(secrets),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    assert secrets.read_text().startswith("$ANSIBLE_VAULT")
    inventory = yaml.safe_load((ANSIBLE_DIR / "inventory.example.yml").read_text())
    local = json.dumps(
        {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    )
    result = run_playbook(
        tmp,
        inventory,
        RENDER_PLAY,
        "-e",
        local,
        "-e",
        f"@{secrets}",
        "--vault-password-file",
        str(vault_pass),
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    return tmp / "out", result


def agent_toml(out: Path, host: str) -> dict:
    with open(out / host / "agent.toml", "rb") as f:
        return tomllib.load(f)


def test_every_device_of_the_3g_school_is_metered_and_the_fibre_school_detects(example):
    out, _ = example
    assert agent_toml(out, CELLULAR_PC)["budget"]["metered"] is True
    assert agent_toml(out, CELLULAR_GW)["budget"]["metered"] is True
    # A fibre school's gateway and a PC with its own USB modem still find a 3G uplink themselves.
    assert agent_toml(out, FIBRE_PC)["budget"]["metered"] == "auto"
    assert agent_toml(out, FIBRE_GW)["budget"]["metered"] == "auto"
    # The school's budget is shared by the hosts of its inventory group (3 and 5 devices).
    assert agent_toml(out, CELLULAR_PC)["budget"]["school_devices"] == 3
    assert agent_toml(out, FIBRE_PC)["budget"]["school_devices"] == 5
    assert agent_toml(out, CELLULAR_PC)["spool"] == {"max_mb": 64, "sync": "full"}


def test_gateways_get_lines_targets_and_subdevices_and_pcs_none(example):
    out, result = example
    gateway = agent_toml(out, FIBRE_GW)
    assert gateway["gateway"]["lines"] == [
        {"interface": "eth0", "isp": "VNPT", "type": "fibre", "rate_mbps": 100},
        {"interface": "wwan0", "isp": "Viettel", "type": "cellular", "rate_mbps": 20},
    ]
    assert gateway["gateway"]["ping_lan_gateway"] is True
    assert gateway["gateway"]["lan_subnets"] == ["10.0.5.0/24"]
    assert gateway["gateway"]["quality_interval_seconds"] == 60
    assert gateway["gateway"]["speedtest_token"] == "token-bxa-012"
    assert gateway["projectors"] == [
        {
            "id": "proj-01",
            "host": "10.0.5.21",
            "password": "JBMIAProjectorLink",
            "lamp_rated_hours": 4000,
        },
        {"id": "proj-02", "host": "10.0.5.22"},
    ]
    assert gateway["boards"] == [{"id": "board-01", "host": "10.0.5.31", "tcp_ports": [4352, 80]}]
    # ICMP every minute would be 12 MB a month: a 3G school measures every 10 minutes.
    assert agent_toml(out, CELLULAR_GW)["gateway"]["quality_interval_seconds"] == 600
    for pc in (CELLULAR_PC, FIBRE_PC):
        assert not {"gateway", "projectors", "boards"} & set(agent_toml(out, pc))
    for secret in ("JBMIAProjectorLink", "token-bxa-012", "-mqtt-secret"):
        assert secret not in result.stdout


def test_the_agent_accepts_the_gateway_config_with_its_projectors(example):
    from schoolnet_agent.config import load_config
    from schoolnet_agent.delivery.budget import detect_metered

    config = load_config(str(example[0] / FIBRE_GW / "agent.toml"), env={})
    assert [(p.id, p.password) for p in config.subdevices["projectors"]] == [
        ("proj-01", "JBMIAProjectorLink"),
        ("proj-02", None),
    ]
    assert [b.id for b in config.subdevices["boards"]] == ["board-01"]
    assert [(line.isp, line.cellular) for line in config.gateway.lines] == [
        ("VNPT", False),
        ("Viettel", True),
    ]
    assert config.gateway.ping_lan_gateway is True
    assert (
        config.mqtt.username == "lc-bxa-th-012"
        and config.mqtt.password == f"{FIBRE_GW}-mqtt-secret"
    )
    assert {"uplink", "netquality", "lan"} <= set(config.probes.active)
    cellular = load_config(str(example[0] / CELLULAR_PC / "agent.toml"), env={})
    # No kernel is asked: the setting alone decides.
    assert (
        detect_metered(cellular.budget.metered, classify=lambda: pytest.fail("classified")) is True
    )


@pytest.mark.parametrize("host", [CELLULAR_PC, FIBRE_PC])
def test_the_agent_prints_a_report_from_the_pc_config(example, host):
    done = subprocess.run(
        [
            str(BIN / "schoolnet-agent"),
            "once",
            "--print",
            "--config",
            str(example[0] / host / "agent.toml"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["school"], report["device"]) == (host.rsplit("-", 1)[0], "pc01")


def test_the_3g_pc_runs_metered_against_a_real_broker(example, tmp_path):
    """The rendered file as it is, with only the broker's address changed (environment)."""
    password = SECRETS["vault_mqtt_passwords"][CELLULAR_PC]
    broker = Mosquitto(tmp_path / "mosquitto", [MqttAccount("lc-bha-th-031/pc01", password)])
    broker.start()
    env = dict(
        os.environ,
        SCHOOLNET_AGENT_MQTT_HOST="127.0.0.1",
        SCHOOLNET_AGENT_MQTT_PORT=str(broker.port),
        SCHOOLNET_AGENT_MQTT_TLS="false",
    )
    log = tmp_path / "agent.log"
    with open(log, "w") as stderr:
        agent = subprocess.Popen(
            [
                str(BIN / "schoolnet-agent"),
                "run",
                "--config",
                str(example[0] / CELLULAR_PC / "agent.toml"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "connected to 127.0.0.1" not in log.read_text():
            assert agent.poll() is None, log.read_text()
            time.sleep(0.1)
        text = log.read_text()
        assert f"connected to 127.0.0.1:{broker.port} as 'lc-bha-th-031/pc01'" in text, text
        assert (
            "metered link: a report every 300 s, batches of 12" in text
            and "keepalive 600 s" in text
        ), text
    finally:
        agent.terminate()
        try:
            assert agent.wait(timeout=20) == 0, log.read_text()
        finally:
            broker.stop()
