"""The agent's parts built from its configuration: each probe gets its own settings and the
context, and a lab PC's agent never imports what only a gateway needs."""

from __future__ import annotations

import json
import subprocess
import sys

from schoolnet_agent.assembly import load_probes, probe_context
from schoolnet_agent.config import load_config
from schoolnet_agent.probes import PROBES

GATEWAY = '[device]\nschool = "lc-test-01"\nid = "gw"\nkind = "gateway"\n'


def load_text(tmp_path, text):
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return load_config(str(path), env={})


def test_gateway_probes_get_the_gateway_section_and_the_broker_not_the_configuration(tmp_path):
    config = load_text(
        tmp_path,
        GATEWAY + '[mqtt]\nhost = "broker.test"\nport = 8883\n[gateway]\nping_count = 3\n',
    )
    probes = {p.name: p for p in load_probes(config, ["uplink", "netquality", "lan"])}
    assert set(probes) == {"uplink", "netquality", "lan"}
    for probe in probes.values():
        assert probe.settings is config.gateway
    assert probes["uplink"].broker_host == "broker.test"
    quality = probes["netquality"]
    assert (quality.broker_host, quality.broker_port) == ("broker.test", 8883)
    assert quality.broker_icmp is False, "the uplink probe runs and pings the broker already"
    alone = load_text(tmp_path, GATEWAY + '[probes]\nenabled = ["netquality"]\n')
    (only,) = load_probes(alone)
    assert only.broker_icmp is True


def test_the_context_is_the_device_the_broker_and_the_probes_beside_it(tmp_path):
    config = load_text(tmp_path, GATEWAY + '[probes]\ndisabled = ["lan"]\n')
    context = probe_context(config)
    assert context.device is config.device
    assert (context.broker_host, context.broker_port) == ("127.0.0.1", 1883)
    assert "lan" not in context.enabled and "uplink" in context.enabled


LAB_PC = """
import json, sys
from schoolnet_agent.config import load_config
from schoolnet_agent.runner import Runner
config = load_config(None, env={{
    "SCHOOLNET_AGENT_DEVICE_SCHOOL": "lc-test-01",
    "SCHOOLNET_AGENT_DEVICE_ID": "pc-01",
    "SCHOOLNET_AGENT_STATE_DIRECTORY": {state!r},
}})
runner = Runner(config)
runner.attach_inventory()
runner.tick()
runner.delivery.close()
print(json.dumps({{"probes": runner.probes.names, "modules": sorted(sys.modules)}}))
"""


def test_a_lab_pc_never_imports_a_gateway_or_sub_device_probe_nor_scapy(tmp_path):
    """Memory is tight on a pre-2010 lab PC: what only a gateway runs stays out of its process,
    through the configuration, the runner, one report and the inventory."""
    result = subprocess.run(
        [sys.executable, "-c", LAB_PC.format(state=str(tmp_path / "state"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = json.loads(result.stdout)
    assert "cpu" in loaded["probes"] and "spool" in loaded["probes"]
    gateway_only = {
        r.path.partition(":")[0].replace(".", "schoolnet_agent.probes.", 1)
        for r in PROBES
        if r.gateway or r.section
    }
    assert "schoolnet_agent.probes.uplink" in gateway_only
    helpers = {f"schoolnet_agent.probes.helpers.{m}" for m in ("pjlink", "icmp", "rawsocket")}
    heavy = {"scapy", "netaddr", "fastjsonschema"}
    assert not (gateway_only | helpers | heavy) & set(loaded["modules"])
