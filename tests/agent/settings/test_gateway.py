"""The ``[gateway]`` section: a full one loads, lines from the environment as JSON, every wrong
value named by its key or variable."""

from __future__ import annotations

import pytest

from schoolnet_agent.config import ConfigError, load_config
from schoolnet_agent.settings.gateway import UplinkLine

DEVICE = '[device]\nschool = "lc-test-01"\nid = "gw"\nkind = "gateway"\n'


def load_text(tmp_path, text, env=None):
    path = tmp_path / "agent.toml"
    path.write_text(text)
    return load_config(str(path), env or {})


def test_a_full_gateway_section_loads(tmp_path):
    cfg = load_text(
        tmp_path,
        DEVICE
        + """
[gateway]
lines = [{interface = "eth0", isp = "VNPT", type = "fibre", rate_mbps = 100},
         {gateway = "192.168.8.1", isp = "Viettel", type = "cellular"}]
ping_targets = ["collector.example.vn", "10.0.0.1"]
ping_count = 10
ping_timeout_seconds = 0.5
lan_subnets = ["10.1.2.7/24", "10.1.3.0/24"]
lan_known_macs = ["00-26-AB-10-20-30", "6cdc.6a10.2031"]
lan_missing_sweeps = 3
speedtest_url = "https://collector.example.vn/api/v1/speedtest"
speedtest_token = "snt_abc"
speedtest_on_cellular = true
""",
    )
    g = cfg.gateway
    assert g.lines == [
        UplinkLine("VNPT", "fibre", "eth0", None, 100.0),
        UplinkLine("Viettel", "cellular", None, "192.168.8.1", None),
    ]
    assert g.lines[1].cellular and not g.lines[0].cellular
    assert g.lan_subnets == ["10.1.2.0/24", "10.1.3.0/24"], "host bits are dropped"
    assert g.lan_known_macs == ["00:26:ab:10:20:30", "6c:dc:6a:10:20:31"]
    assert (g.ping_count, g.ping_timeout_seconds, g.lan_missing_sweeps) == (10, 0.5, 3)
    assert g.speedtest_on_cellular is True and g.speedtest_token == "snt_abc"


def test_lines_can_come_from_the_environment_as_json(tmp_path):
    cfg = load_text(
        tmp_path,
        DEVICE,
        {
            "SCHOOLNET_AGENT_GATEWAY_LINES": '[{"interface": "ppp0", "isp": "VNPT", "type": "dsl"}]',
            "SCHOOLNET_AGENT_GATEWAY_LAN_SUBNETS": "10.1.2.0/24, 10.1.4.0/24",
        },
    )
    assert cfg.gateway.lines == [UplinkLine("VNPT", "dsl", "ppp0")]
    assert cfg.gateway.lan_subnets == ["10.1.2.0/24", "10.1.4.0/24"]


@pytest.mark.parametrize(
    "body,message",
    [
        ('lines = "eth0"', "gateway.lines: expected a list of tables {isp, type"),
        ('lines = [{interface = "eth0", type = "fibre"}]', "line 1 needs isp"),
        (
            'lines = [{interface = "eth0", isp = "VNPT", type = "fiber"}]',
            'line 1 type "fiber" is not one of fibre, dsl, ethernet, cellular',
        ),
        ('lines = [{isp = "VNPT", type = "fibre"}]', "line 1 needs interface or gateway"),
        (
            'lines = [{gateway = "192.168.1.300", isp = "VNPT", type = "fibre"}]',
            'line 1 gateway "192.168.1.300" is not an IPv4 address',
        ),
        (
            'lines = [{interface = "eth0", isp = "VNPT", type = "fibre", rate_mbps = -5}]',
            "line 1 rate_mbps -5 is not a number 0-100000",
        ),
        (
            'lines = [{interface = "eth0", isp = "VNPT", type = "fibre", speed = 5}]',
            "line 1 has unknown key 'speed'",
        ),
        ('lines = ["eth0"]', 'line 1 is "eth0"'),
        (
            'ping_targets = "10.0.0.1"',
            "gateway.ping_targets: expected a list of host names or addresses",
        ),
        ('ping_targets = [""]', "gateway.ping_targets: expected a list of host names"),
        ("ping_count = 0", "gateway.ping_count: expected an integer 1-500, got 0"),
        (
            "ping_timeout_seconds = 60",
            "gateway.ping_timeout_seconds: expected a number of seconds 0.1-10",
        ),
        ('lan_subnets = ["10.1.0.0/16"]', "'10.1.0.0/16' has 65536 addresses"),
        ('lan_subnets = ["classroom"]', "'classroom' is not an IPv4 subnet"),
        ('lan_known_macs = ["00:26:ab:10:20"]', "'00:26:ab:10:20' is not a MAC address"),
        (
            "lan_sweep_seconds = 5",
            "gateway.lan_sweep_seconds: expected a number of seconds 60-86400",
        ),
        (
            'speedtest_url = "ftp://x/y/z"',
            "gateway.speedtest_url: expected an http:// or https:// URL",
        ),
        (
            "speedtest_bytes = 100000000",
            "gateway.speedtest_bytes: expected an integer 1000-50000000",
        ),
        ('speedtest_on_cellular = "yes"', "gateway.speedtest_on_cellular: expected true or false"),
        (
            "ping_lan_gw = true",
            "gateway.ping_lan_gw: unknown key (did you mean 'ping_lan_gateway'?)",
        ),
    ],
)
def test_wrong_values_name_the_key(tmp_path, body, message):
    with pytest.raises(ConfigError) as err:
        load_text(tmp_path, DEVICE + "[gateway]\n" + body + "\n")
    text = str(err.value)
    assert text.startswith("config error: gateway."), text
    assert message in text, text
    assert "\n" not in text


def test_wrong_environment_value_names_the_variable(tmp_path):
    with pytest.raises(
        ConfigError,
        match=r"SCHOOLNET_AGENT_GATEWAY_LINES \(gateway.lines\): "
        r"expected a list of tables",
    ):
        load_text(tmp_path, DEVICE, {"SCHOOLNET_AGENT_GATEWAY_LINES": "eth0=VNPT"})
