"""The modem's radio from recorded ``mmcli --output-keyvalue`` output: technology, signal,
operator; no modem and a failing mmcli give no readings."""

from __future__ import annotations

import subprocess

import pytest

from schoolnet_agent.probes.helpers.modem import ModemReader
from tests.support.uplink import mmcli_from


@pytest.mark.parametrize(
    "modem,tech,signal,operator",
    [
        ("modem-huawei-lte-viettel.txt", "LTE", 67, "Viettel"),
        ("modem-zte-3g-vinaphone.txt", "UMTS", 38, "VINAPHONE"),
        ("modem-no-signal.txt", None, 0, None),
        ("modem-garbage.txt", None, None, None),
    ],
)
def test_mmcli_output_gives_technology_signal_and_operator(modem, tech, signal, operator):
    status = ModemReader(run=mmcli_from("list-one.txt", modem)).read()
    assert (status.access_tech, status.signal_percent, status.operator) == (tech, signal, operator)


def test_no_modem_listed_means_no_readings():
    run = mmcli_from("list-none.txt", "modem-huawei-lte-viettel.txt")
    assert ModemReader(run=run).read() is None
    assert run.calls == [["-L"]]


def test_failing_mmcli_is_logged_once_and_gives_no_readings(caplog):
    def broken(args):
        raise subprocess.CalledProcessError(1, ["mmcli", *args], stderr="couldn't connect")

    reader = ModemReader(run=broken)
    assert reader.read() is None and reader.read() is None
    assert len([r for r in caplog.records if "mmcli failed" in r.getMessage()]) == 1
