"""Raw-socket access: without scapy or CAP_NET_RAW one clear message naming the fix, and the
other measurements keep running; with CAP_NET_RAW alone (not root) ARP and ICMP work."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from schoolnet_agent.probes.helpers.rawsocket import RawSocketAccess
from tests.support.gateway_probes import EPSON, PROBE_ONCE, agent_toml, netns_test
from tests.support.netns import school_lan


def test_missing_scapy_is_one_clear_message_and_raw_measurements_stay_off(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "scapy", None)  # how Python marks a module as unavailable
    access = RawSocketAccess()
    assert access.allowed is False and access.allowed is False
    assert "scapy is not installed: pip install 'schoolnet[gateway]'" in access.reason
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "the other probes keep running" in warnings[0]


def test_the_raw_socket_refusal_names_the_fix_of_its_platform():
    from schoolnet_agent.probes.helpers.rawsocket import missing_message

    windows = missing_message(windows=True).format(reason="Npcap is not installed")
    assert "Npcap is not installed" in windows and "https://npcap.com" in windows
    assert "CAP_NET_RAW" not in windows
    assert "CAP_NET_RAW" in missing_message(windows=False)


@netns_test
@pytest.mark.parametrize(
    "caps",
    [[], ["--inh-caps=+net_raw", "--ambient-caps=+net_raw"]],
    ids=["no-capability", "cap-net-raw"],
)
def test_raw_probes_need_cap_net_raw_not_root(caps):
    """As an unprivileged user, the ARP and ICMP parts run with CAP_NET_RAW alone; without it
    one warning says so and the other measurements (uplink type, DNS) still come."""
    with school_lan() as lan:
        lan.add_host("projector", EPSON, 30)
        lan.resolve_names({"projector.school.test": lan.hosts["projector"].ip})
        code = PROBE_ONCE.format(
            toml=agent_toml(
                lan.gateway_ip,
                f"""\
            lan_subnets = ["{lan.subnet}"]
            ping_targets = ["projector.school.test"]
            ping_count = 2
            """,
            )
        )
        result = lan.run_python(
            code, prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *caps]
        )
        assert result.returncode == 0, result.stderr[-3000:]
        samples = {(s["name"], s.get("instance")): s["fields"] for s in json.loads(result.stdout)}
        warnings = [line for line in result.stderr.splitlines() if "CAP_NET_RAW" in line]
        assert ("uplink", None) in samples
        assert samples[("netquality", "projector.school.test")]["resolves"] is True
        if caps:
            assert warnings == []
            assert samples[("lan", lan.subnet)]["projector_count"] == 1
            assert samples[("netquality", "projector.school.test")]["loss_percent"] == 0
        else:
            assert len(warnings) == 1, result.stderr
            assert "raw sockets are not permitted (CAP_NET_RAW missing)" in warnings[0]
            assert "AmbientCapabilities=CAP_NET_RAW" in warnings[0]
            assert ("lan", lan.subnet) not in samples
            assert "loss_percent" not in samples[("netquality", "projector.school.test")]
