"""Inventory readers fed recorded output: fixture files, smartctl answering from them, and the
inventory keys docs/protocol.md documents."""

from __future__ import annotations

import json
import re
import subprocess

from schoolnet_agent.inventory.smart import Smartctl
from tests.support.paths import FIXTURES, ROOT as ROOT_DIR

PROTOCOL = ROOT_DIR / "docs" / "protocol.md"


def fixture(kind: str, name: str) -> str:
    return (FIXTURES / kind / name).read_text()


def fake_smartctl(by_device: dict[str, str], calls: list | None = None) -> Smartctl:
    """smartctl answering from fixture files, as the real one does with --json."""

    def run(argv, **kw):
        assert argv[1:4] == ["--json", "-H", "-i"] and kw["timeout"] > 0
        if calls is not None:
            calls.append(argv[-1])
        name = by_device.get(argv[-1], "usb_bridge_unsupported.json")
        text = fixture("smartctl", name)
        return subprocess.CompletedProcess(
            argv, json.loads(text)["smartctl"]["exit_status"], text, ""
        )

    return Smartctl(run=run, which=lambda name: "/usr/sbin/smartctl")


NO_SMARTCTL = Smartctl(which=lambda name: None)


def protocol_inventory_keys() -> set[str]:
    """The inventory keys of docs/protocol.md's table (``disk<N>_*`` as a pattern)."""
    text = PROTOCOL.read_text().split("**Inventory**", 1)[1]
    keys = set()
    for row in text.splitlines():
        if row.startswith("| `"):
            keys.update(re.findall(r"`([a-z0-9_<N>]+)`", row.split("|")[1]))
    return keys


def assert_documented(inventory: dict) -> None:
    documented = protocol_inventory_keys()
    for key in inventory:
        assert key in documented or re.sub(r"^disk\d+_", "disk<N>_", key) in documented, key
