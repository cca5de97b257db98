"""Disk health from recorded ``smartctl --json`` output; garbage and absence are unknown."""

from __future__ import annotations

import subprocess

import pytest

from schoolnet_agent.inventory.smart import Smartctl, parse_smartctl
from tests.support.inventory import NO_SMARTCTL, fixture


@pytest.mark.parametrize(
    "name, health, kind, size",
    [
        ("sata_ssd_passed.json", "passed", "ssd", 240057409536),
        ("sata_hdd_failing.json", "failed", "hdd", 500107862016),
        ("nvme_passed.json", "passed", "ssd", 500107862016),
        ("usb_bridge_unsupported.json", "unknown", None, None),
        ("permission_denied.json", "unknown", None, None),
    ],
)
def test_smartctl_json(name, health, kind, size):
    info = parse_smartctl(fixture("smartctl", name))
    assert (info.health, info.type, info.size_bytes) == (health, kind, size)


def test_smartctl_garbage_and_absence_are_unknown():
    assert parse_smartctl("Segmentation fault").health == "unknown"
    assert parse_smartctl("[1, 2]").health == "unknown"
    assert not NO_SMARTCTL.available and NO_SMARTCTL.info("/dev/sda").health == "unknown"

    def broken(argv, **kw):
        raise subprocess.TimeoutExpired(argv, kw["timeout"])

    assert Smartctl(run=broken, which=lambda n: "/x/smartctl").info("/dev/sda").health == "unknown"
