"""The gateway probes' namespace tests: the hosts of the classroom LAN (real vendors' MACs), the
agent configuration the probes are built from, and a script that builds and runs them once.

``netns_test`` marks a test that creates network namespaces (root): it is skipped, with the
reason, where none can be made.
"""

from __future__ import annotations

import textwrap

import pytest

from tests.support.netns import netns_available

NETNS_PROBLEM = netns_available()


def netns_test(test):
    return pytest.mark.netns(
        pytest.mark.skipif(NETNS_PROBLEM is not None, reason=NETNS_PROBLEM or "")(test)
    )


EPSON, PROMETHEAN, DELL, RANDOM, CANON = (
    "00:26:ab:10:20:30",
    "6c:dc:6a:10:20:31",
    "d0:43:1e:10:20:32",
    "02:5e:10:20:30:33",
    "84:ba:3b:10:20:34",
)


def agent_toml(broker: str, gateway: str) -> str:
    return textwrap.dedent(f"""\
        [device]
        school = "lc-test-01"
        id = "gw"
        kind = "gateway"
        [mqtt]
        host = "{broker}"
        [state]
        directory = "/nonexistent-not-used"
        [gateway]
        """) + textwrap.dedent(gateway)


PROBE_ONCE = """
import json, logging, sys, tempfile
logging.basicConfig(level=logging.INFO, stream=sys.stderr)
from schoolnet_agent.config import load_config
from schoolnet_agent.assembly import load_probes
from schoolnet_agent.probes.sampling import ProbeSet
with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
    f.write({toml!r})
    f.flush()
    config = load_config(f.name, env={{}})
probes = ProbeSet(load_probes(config, ["uplink", "netquality", "lan"]))
print(json.dumps([s.as_json() for s in probes.collect()]))
"""
