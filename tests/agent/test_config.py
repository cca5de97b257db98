"""Configuration: every kind of mistake gives one message naming the key; good files load."""

from __future__ import annotations

import dataclasses

import pytest

from schoolnet_agent.config import MODELS, SECTIONS, AgentConfig, ConfigError, load_config
from schoolnet_agent.probes import PROBES
from schoolnet_agent.settings.device import hostname_id
from tests.support.paths import ROOT as ROOT_DIR

EXAMPLE = ROOT_DIR / "agent/agent.example.toml"
MINIMAL = '[device]\nschool = "lc-test-01"\nid = "pc-01"\n'


def load_text(tmp_path, text, env=None, **kw):
    path = tmp_path / "agent.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(str(path), env or {}, **kw)


def test_the_sample_config_loads():
    cfg = load_config(str(EXAMPLE), {})
    assert (cfg.device.school, cfg.device.id, cfg.device.interval_seconds) == (
        "lc-bx-th-012",
        "pc-07",
        60.0,
    )
    assert cfg.mqtt.username == "lc-bx-th-012/pc-07"
    assert cfg.probes.active == [
        "cpu",
        "mem",
        "disk",
        "diskio",
        "net",
        "system",
        "sensors",
        "board_usb",
    ]


def test_defaults_and_derived_values(tmp_path):
    cfg = load_text(
        tmp_path,
        MINIMAL + '[probes]\ndisabled = ["sensors", "diskio"]\n[state]\ndirectory = "/tmp/x"\n',
    )
    assert cfg.device.kind == "lab_pc" and cfg.mqtt.port == 1883 and cfg.mqtt.keepalive == 20
    assert cfg.mqtt.qos == 1 and cfg.state.directory == "/tmp/x"
    assert cfg.probes.active == ["cpu", "mem", "disk", "net", "system", "board_usb"]
    gw = load_text(tmp_path, '[device]\nschool = "lc-test-01"\nid = "gw"\nkind = "gateway"\n')
    assert gw.mqtt.username == "lc-test-01", "a gateway logs in as its school"


def test_environment_overrides_the_file(tmp_path):
    env = {
        "SCHOOLNET_AGENT_MQTT_HOST": "broker.local",
        "SCHOOLNET_AGENT_MQTT_PORT": "8883",
        "SCHOOLNET_AGENT_MQTT_TLS": "yes",
        "SCHOOLNET_AGENT_DEVICE_INTERVAL_SECONDS": "30",
        "SCHOOLNET_AGENT_PROBES_ENABLED": "cpu, mem",
        "SCHOOLNET_AGENT_MQTT_PASSWORD": "s3cret",
        "PATH": "/usr/bin",
    }
    cfg = load_text(tmp_path, MINIMAL + '[mqtt]\nhost = "10.0.0.1"\n', env)
    assert (cfg.mqtt.host, cfg.mqtt.port, cfg.mqtt.tls) == ("broker.local", 8883, True)
    assert cfg.device.interval_seconds == 30.0 and cfg.probes.active == ["cpu", "mem"]
    assert cfg.mqtt.password == "s3cret"


def test_no_file_for_local_use_gets_sane_defaults():
    cfg = load_config(None, {}, require_school=False)
    assert cfg.device.school == "local" and cfg.device.id == hostname_id()


@pytest.mark.parametrize(
    "text,message",
    [
        ('[mqtt]\nport = "abc"\n', 'mqtt.port: expected an integer 1-65535, got "abc"'),
        ("[mqtt]\nport = 70000\n", "mqtt.port: expected an integer 1-65535, got 70000"),
        ("[mqtt]\nport = 1883.5\n", "mqtt.port: expected an integer 1-65535, got 1883.5"),
        ('[mqtt]\ntls = "yes"\n', 'mqtt.tls: expected true or false, got "yes"'),
        ("[mqtt]\nqos = 2\n", "mqtt.qos: expected an integer 0-1, got 2"),
        ('[mqtt]\nhost = ""\n', 'mqtt.host: expected a non-empty string, got ""'),
        (
            '[mqtt]\nca_file = "/nonexistent/ca.crt"\n',
            "mqtt.ca_file: expected the path of a readable file",
        ),
        (
            "[mqtt]\nreconnect_min_delay = 10\nreconnect_max_delay = 5\n",
            "mqtt.reconnect_min_delay: expected at most mqtt.reconnect_max_delay (5), got 10",
        ),
        (
            "[mqtt]\ntls_insecure = true\n",
            "mqtt.tls_insecure: only meaningful with mqtt.tls = true",
        ),
        ('[mqtt]\nhots = "x"\n', "mqtt.hots: unknown key (did you mean 'host'?)"),
        ('[mqt]\nhost = "x"\n', "unknown section [mqt] (did you mean 'mqtt'?)"),
        ("mqtt = 5\n", "mqtt: expected a table [mqtt], got 5"),
        (
            "[device]\ninterval_seconds = 0\n",
            "device.interval_seconds: expected a number of seconds 1-86400, got 0",
        ),
        (
            "[device]\ninterval_seconds = true\n",
            "device.interval_seconds: expected a number of seconds",
        ),
        ('[device]\nkind = "labpc"\n', "device.kind: expected one of gateway, lab_pc,"),
        ('[device]\nid = "PC 07"\n', "device.id: expected an id of lowercase letters"),
        ('[probes]\nenabled = ["cpu", "memm"]\n', "'memm' is not a probe (did you mean 'mem'?)"),
        ('[probes]\nenabled = "cpu"\n', "probes.enabled: expected a list of probe names"),
    ],
)
def test_wrong_values_name_the_key(tmp_path, text, message):
    school = '[device]\nschool = "lc-test-01"\n'
    body = text.replace("[device]\n", school) if "[device]" in text else text + "\n" + school
    with pytest.raises(ConfigError) as err:
        load_text(tmp_path, body)
    assert str(err.value).startswith("config error: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_required_key(tmp_path):
    with pytest.raises(
        ConfigError,
        match=r"device\.school: required key missing .*"
        r"SCHOOLNET_AGENT_DEVICE_SCHOOL",
    ):
        load_text(tmp_path, '[device]\nid = "pc-01"\n')


@pytest.mark.parametrize(
    "env,message",
    [
        (
            {"SCHOOLNET_AGENT_MQTT_PORT": "abc"},
            'SCHOOLNET_AGENT_MQTT_PORT (mqtt.port): expected an integer 1-65535, got "abc"',
        ),
        (
            {"SCHOOLNET_AGENT_MQTT_TLS": "maybe"},
            "SCHOOLNET_AGENT_MQTT_TLS (mqtt.tls): expected true or false",
        ),
        (
            {"SCHOOLNET_AGENT_MQTT_HOTS": "x"},
            "unknown environment variable SCHOOLNET_AGENT_MQTT_HOTS (did you mean 'SCHOOLNET_AGENT_MQTT_HOST'?)",
        ),
        ({"SCHOOLNET_AGENT_DEVICE_SCHOOL": "Trường 1"}, "(device.school): expected an id"),
    ],
)
def test_bad_environment_overrides(tmp_path, env, message):
    with pytest.raises(ConfigError) as err:
        load_text(tmp_path, MINIMAL, env)
    assert message in str(err.value)


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read .*nope\.toml: No such file"):
        load_config(str(tmp_path / "nope.toml"), {})
    with pytest.raises(ConfigError, match=r"is not valid TOML: .*line 2"):
        load_text(tmp_path, "[device]\nschool = \n")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe[device]")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(str(tmp_path / "bin.toml"), {})
    (tmp_path / "ca.crt").write_text("not a certificate")
    with pytest.raises(ConfigError, match=r"mqtt\.ca_file: .*ca\.crt is not a usable TLS file"):
        load_text(tmp_path, MINIMAL + f'[mqtt]\ntls = true\nca_file = "{tmp_path / "ca.crt"}"\n')


GATEWAY = '[device]\nschool = "lc-test-01"\nid = "gw"\nkind = "gateway"\n'


def test_gateway_probes_run_by_default_only_on_a_gateway(tmp_path):
    gateway_probes = {r.name for r in PROBES if r.gateway}
    assert gateway_probes == {"uplink", "netquality", "lan"}
    gateway = load_text(tmp_path, GATEWAY)
    assert gateway_probes <= set(gateway.probes.active)
    assert gateway.gateway.lan_subnets == [] and gateway.gateway.ping_lan_gateway is False, (
        "no default address to probe: nothing but the broker host unless configured"
    )
    pc = load_text(tmp_path, GATEWAY.replace("gateway", "lab_pc"))
    assert not gateway_probes & set(pc.probes.active)
    chosen = load_text(
        tmp_path,
        GATEWAY.replace("gateway", "teacher_pc") + '[probes]\nenabled = ["cpu", "uplink"]\n',
    )
    assert chosen.probes.active == ["cpu", "uplink"], "a PC with a USB modem may ask for it"


@pytest.mark.parametrize("section", list(MODELS))
def test_every_key_of_every_section_is_checked_and_every_check_is_a_key(section):
    """Each section's keys are its model's fields (the model lives with its unit); the loader
    refuses any other key and checks each one."""
    model = MODELS[section]
    assert SECTIONS[section] is model.KEYS
    assert set(model.KEYS) == {f.name for f in dataclasses.fields(model)}
    assert [f.name for f in dataclasses.fields(AgentConfig)].count(section) == 1
