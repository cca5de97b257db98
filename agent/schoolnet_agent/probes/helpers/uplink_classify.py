"""Which way this machine reaches the internet: fixed line, cellular modem, or not at all.

Read from the kernel alone (``/proc/net/route`` and ``/sys/class/net``), without privileges and
without scapy, so any part of the agent can ask cheaply, e.g. to keep telemetry inside a
metered 3G data budget. The default route with the lowest metric is the one traffic takes.

Cellular is recognised by what Linux shows of a modem: a PPP interface (``ppp*``, or link type
PPP: dial-up 3G through ``option``/``pppd``), a WWAN interface (``wwan*``, ``wwp*``), a driver
used by USB modems (a Huawei/ZTE "Dcom" in RNDIS/CDC-ether mode shows up as an ordinary
``usb0``/``eth1``), or the USB vendor id of a modem maker (12d1 Huawei, 19d2 ZTE). Everything
else with a default route is a fixed line: the kernel cannot tell an FTTH ONT or a DSL router
behind an Ethernet port from plain Ethernet, so that is ``ethernet`` here and the school's
configured lines (``[gateway]`` in the agent config) name it ``fibre`` or ``dsl``.

A PPPoE session over DSL or fibre is also ``ppp*``: a gateway that dials PPPoE itself lists that
interface as a fixed line in its configuration (the uplink probe applies it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

UPLINK_TYPES = ("fibre", "dsl", "ethernet", "cellular", "none")
FIXED_TYPES = ("fibre", "dsl", "ethernet")

CELLULAR_NAME_PREFIXES = ("ppp", "wwan", "wwp")
# Kernel drivers of USB modems and of the network side of cellular modules.
CELLULAR_DRIVERS = frozenset(
    {"rndis_host", "cdc_ether", "cdc_ncm", "huawei_cdc_ncm", "qmi_wwan", "cdc_mbim", "option"}
)
CELLULAR_USB_VENDORS = {"12d1": "Huawei", "19d2": "ZTE"}
ARPHRD_PPP = 512  # /sys/class/net/<if>/type of a PPP link

RTF_UP = 0x0001


@dataclass(frozen=True)
class UplinkInfo:
    """The uplink as the kernel shows it.

    ``interface`` is None and ``type`` is ``none`` when there is no default route. ``reason``
    says what decided the type (``name ppp0``, ``driver rndis_host``, ``usb vendor 12d1``...),
    for logs and for the person reading them.
    """

    interface: str | None
    type: str
    cellular: bool
    gateway: str | None = None
    driver: str | None = None
    usb_vendor: str | None = None
    operstate: str | None = None
    reason: str = ""

    @property
    def fixed(self) -> bool:
        return self.type in FIXED_TYPES


@dataclass(frozen=True)
class DefaultRoute:
    interface: str
    gateway: str | None
    metric: int


def default_routes(root: str = "/") -> list[DefaultRoute]:
    """IPv4 default routes that are up, lowest metric first (the one in use comes first)."""
    try:
        with open(os.path.join(root, "proc/net/route"), encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return []
    routes = []
    for line in lines:
        cols = line.split()
        if len(cols) < 8:
            continue
        iface, dest, gw, flags, metric, mask = cols[0], cols[1], cols[2], cols[3], cols[6], cols[7]
        try:
            if int(dest, 16) or int(mask, 16) or not int(flags, 16) & RTF_UP:
                continue
            gw_int, metric_int = int(gw, 16), int(metric)
        except ValueError:
            continue
        routes.append(
            DefaultRoute(iface, _ipv4_from_le_hex(gw_int) if gw_int else None, metric_int)
        )
    return sorted(routes, key=lambda r: r.metric)


def classify_interface(interface: str, root: str = "/") -> tuple[str, str, str | None, str | None]:
    """(``cellular`` or ``ethernet``, reason, driver, usb vendor id) of one interface."""
    net = os.path.join(root, "sys/class/net", interface)
    driver = _driver(net)
    vendor = _usb_vendor(net)
    if interface.startswith(CELLULAR_NAME_PREFIXES):
        return "cellular", f"name {interface}", driver, vendor
    if _read(os.path.join(net, "type")) == str(ARPHRD_PPP):
        return "cellular", "link type ppp", driver, vendor
    if driver in CELLULAR_DRIVERS:
        return "cellular", f"driver {driver}", driver, vendor
    if vendor in CELLULAR_USB_VENDORS:
        return "cellular", f"usb vendor {vendor} ({CELLULAR_USB_VENDORS[vendor]})", driver, vendor
    return "ethernet", "fixed interface", driver, vendor


def classify_uplink(root: str = "/") -> UplinkInfo:
    """The uplink in use now; ``root`` is where ``proc/`` and ``sys/`` are (tests use a tree)."""
    routes = default_routes(root)
    if not routes:
        return UplinkInfo(None, "none", False, reason="no default route")
    route = routes[0]
    kind, reason, driver, vendor = classify_interface(route.interface, root)
    operstate = _read(os.path.join(root, "sys/class/net", route.interface, "operstate"))
    return UplinkInfo(
        route.interface, kind, kind == "cellular", route.gateway, driver, vendor, operstate, reason
    )


def _ipv4_from_le_hex(value: int) -> str:
    """/proc/net/route prints addresses as host-order (little-endian) hex."""
    return ".".join(str((value >> shift) & 0xFF) for shift in (0, 8, 16, 24))


def _driver(net_dir: str) -> str | None:
    link = os.path.join(net_dir, "device", "driver")
    try:
        return os.path.basename(os.readlink(link)) or None
    except OSError:
        return None


def _usb_vendor(net_dir: str) -> str | None:
    """The USB vendor id: ``device`` is the USB interface, its parent the USB device."""
    device = os.path.join(net_dir, "device")
    if not os.path.isdir(device):
        return None
    real = os.path.realpath(device)
    for candidate in (
        os.path.join(real, "idVendor"),
        os.path.join(os.path.dirname(real), "idVendor"),
    ):
        value = _read(candidate)
        if value:
            return value.lower()
    return None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return None
