"""The board_usb probe: board and touch-frame makers' USB vendor ids in sysfs, and on Windows
in Win32_PnPEntity, asked at most every 15 minutes."""

from __future__ import annotations

import pytest

from schoolnet_agent.probes.board_usb import UsbBoardProbe
from tests.support.paths import FIXTURES


def test_usb_board_probe_recognises_board_vendors(tmp_path):
    for name, vendor in (("1-1", "046d"), ("1-2", "6615"), ("1-2:1.0", None), ("2-1", "0b8c")):
        (tmp_path / name).mkdir()
        if vendor:
            (tmp_path / name / "idVendor").write_text(vendor + "\n")
    fields = UsbBoardProbe(str(tmp_path)).collect()[0].fields
    assert fields == {"present": 1, "devices_count": 2, "vendor": "IRTOUCH Systems"}
    (tmp_path / "1-2" / "idVendor").unlink()
    (tmp_path / "2-1" / "idVendor").unlink()
    assert UsbBoardProbe(str(tmp_path)).collect()[0].fields == {"present": 0, "devices_count": 0}
    assert UsbBoardProbe(str(tmp_path / "missing")).collect() == []


def test_usb_board_probe_on_windows_asks_wmi_at_most_every_15_minutes():
    import subprocess

    text = (FIXTURES / "wmi" / "pnp_usb_board.json").read_text()
    calls, clock = [], [0.0]

    def powershell(argv, **kw):
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, text, "")

    probe = UsbBoardProbe(system="Windows", run=powershell, clock=lambda: clock[0])
    for t in (0.0, 60.0, 899.0):
        clock[0] = t
        assert probe.collect()[0].fields == {
            "present": 1,
            "devices_count": 1,
            "vendor": "IRTOUCH Systems",
        }
    assert len(calls) == 1 and "Win32_PnPEntity" in calls[0][-1]
    clock[0] = 900.0
    probe.collect()
    assert len(calls) == 2


def test_pnp_vendor_ids_skip_interfaces_and_refuse_garbage():
    from schoolnet_agent.probes.board_usb import pnp_vendor_ids

    assert pnp_vendor_ids('"USB\\\\VID_0B8C&PID_0001\\\\1"') == ["0b8c"]
    assert pnp_vendor_ids('["USB\\\\VID_0B8C&PID_0001&MI_00\\\\1"]') == []
    assert pnp_vendor_ids("") == []
    with pytest.raises(RuntimeError, match="no JSON"):
        pnp_vendor_ids("Get-CimInstance : Access denied")
