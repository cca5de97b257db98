"""What the uplink classifier and the modem reader read, built for a test: a ``/proc`` route
table with ``/sys/class/net`` interfaces (drivers, USB vendors, link types), and ``mmcli``
answering from recorded output (``tests/fixtures/mmcli/``)."""

from __future__ import annotations

import os

from tests.support.paths import FIXTURES

MMCLI = FIXTURES / "mmcli"


HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"


def route_line(iface, dest="00000000", gw="0101A8C0", flags="0003", metric=0, mask="00000000"):
    return f"{iface}\t{dest}\t{gw}\t{flags}\t0\t0\t{metric}\t{mask}\t0\t0\t0\n"


def make_tree(root, routes, interfaces):
    """``interfaces``: name → dict(driver=, vendor=, type=, operstate=)."""
    (root / "proc/net").mkdir(parents=True)
    (root / "proc/net/route").write_text(HEADER + "".join(routes))
    for name, spec in interfaces.items():
        net = root / "sys/class/net" / name
        net.mkdir(parents=True)
        (net / "type").write_text(f"{spec.get('type', 1)}\n")
        (net / "operstate").write_text(f"{spec.get('operstate', 'up')}\n")
        if "driver" in spec or "vendor" in spec:
            usb_dev = root / "sys/devices/usb1" / f"1-1-{name}"
            usb_if = usb_dev / "1-1:1.0"
            usb_if.mkdir(parents=True)
            if "vendor" in spec:
                (usb_dev / "idVendor").write_text(spec["vendor"] + "\n")
            if "driver" in spec:
                drv = root / "sys/bus/usb/drivers" / spec["driver"]
                drv.mkdir(parents=True, exist_ok=True)
                os.symlink(drv, usb_if / "driver")
            os.symlink(usb_if, net / "device")
    return str(root)


def mmcli_from(listing: str, modem: str):
    """A recorded ``mmcli`` for ModemReader: ``-L`` gives ``listing``, ``-m <path>`` ``modem``."""
    calls = []

    def run(args):
        calls.append(args)
        if args == ["-L"]:
            return (MMCLI / listing).read_text()
        assert args[0] == "-m" and args[1].startswith("/org/freedesktop/ModemManager1/Modem/")
        return (MMCLI / modem).read_text()

    run.calls = calls
    return run
