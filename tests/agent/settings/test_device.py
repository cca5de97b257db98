"""The device's default id: the hostname made valid."""

from __future__ import annotations

import pytest

from schoolnet_agent.settings.device import hostname_id


@pytest.mark.parametrize(
    "host,expected",
    [
        ("PC-07.lab.local", "pc-07"),
        ("Máy_Tính 3", "may_tinh-3"),
        ("Phòng-Đào-Tạo", "phong-dao-tao"),
        ("--x", "x"),
        ("...", "device"),
    ],
)
def test_hostname_becomes_a_valid_device_id(host, expected):
    assert hostname_id(host) == expected
