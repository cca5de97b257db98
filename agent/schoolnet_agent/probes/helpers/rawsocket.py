"""May this process open raw sockets (ARP, ICMP with scapy)? Answered once, said once.

Raw sockets need CAP_NET_RAW, not root: the gateway's systemd unit grants exactly that
(``AmbientCapabilities=CAP_NET_RAW``). Started without it (by hand as a normal user, or with a
unit that lost the line), the raw-socket measurements are switched off with one clear log
line naming the fix, and every other probe (and the non-raw parts of these: DNS and TCP
timings, interface counters, uplink type) keeps running.
"""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
import socket
import sys
import threading
import types
from collections.abc import Callable

log = logging.getLogger(__name__)

MISSING_MESSAGE = (
    "raw sockets are not permitted ({reason}): ARP discovery and ICMP "
    "measurements are off, the other probes keep running; give the agent "
    "CAP_NET_RAW (systemd: AmbientCapabilities=CAP_NET_RAW) or run it as root"
)


def try_raw_socket() -> str | None:
    """None if a raw packet socket opens, else why not (missing capability, no AF_PACKET)."""
    if importlib.util.find_spec("scapy") is None:  # an OpenWrt or hand-made install
        return "scapy is not installed: pip install 'schoolnet[gateway]'"
    if os.name == "nt":  # no AF_PACKET on Windows: scapy goes through the Npcap driver
        from schoolnet_agent.probes.helpers.rawsocket_windows import windows_raw_socket_problem

        return windows_raw_socket_problem()
    family = getattr(socket, "AF_PACKET", None)
    if family is None:
        return "this system has no AF_PACKET sockets"
    try:
        socket.socket(family, socket.SOCK_RAW).close()
    except PermissionError:
        return "CAP_NET_RAW missing"
    except OSError as exc:
        return f"cannot open a raw socket: {exc.strerror or exc}"
    return None


_scapy_lock = threading.Lock()


def import_scapy_lean() -> None:
    """Import scapy's core without the parts the gateway probes never use; call before any
    ``from scapy...`` import. Cheap after the first call.

    Importing even ``scapy.config`` alone costs over 20 MiB beyond the layers themselves:
    ``scapy.config`` imports ``cryptography`` (7 MiB, for TLS/IPsec layers) just to record
    whether it works, and ``scapy.data`` builds Wireshark's vendor table (``MANUFDB``, 13 MiB
    once in memory, from its module or its pickle cache) to print MAC vendors. Neither has a
    setting to turn it off, and emptying the table afterwards leaves most of it resident
    (the heap does not shrink past what was allocated later). So, during this import only:
    ``cryptography`` is hidden (scapy runs as on a machine without it: ``conf.crypto_valid``
    is False; any later import of it works), scapy's data cache is off, and the vendor table
    and Bluetooth company ids come from empty stand-ins. The LAN probe names vendors from the
    IEEE registry itself (``lan.OuiVendors``).
    """
    with _scapy_lock:
        if "scapy.data" in sys.modules:
            return
        stand_ins = {
            "cryptography": None,
            "scapy.libs.manuf": _module_with_data("scapy.libs.manuf", ""),
            "scapy.libs.bluetoothids": _module_with_data("scapy.libs.bluetoothids", {}),
        }
        hidden = {name: module for name, module in stand_ins.items() if name not in sys.modules}
        sys.modules.update(hidden)  # type: ignore[arg-type]  # None marks a module unavailable: the point
        import scapy.main

        cache_folder, scapy.main.SCAPY_CACHE_FOLDER = scapy.main.SCAPY_CACHE_FOLDER, None
        try:
            import scapy.config
            import scapy.data
        finally:
            scapy.main.SCAPY_CACHE_FOLDER = cache_folder
            for name, module in hidden.items():
                if sys.modules.get(name, 0) is module:
                    del sys.modules[name]
        scapy.data.MANUFDB.d.clear()  # read from Wireshark's own file where it is installed


def free_packets() -> None:
    """Collect the packets of a measurement now. scapy's packets point at each other (payload
    and underlayer), so they are freed only by Python's cyclic collector, which runs its full
    pass rarely: measured, 3 MiB of dead packets a collection piled up to 20 MiB before one,
    and the process keeps that high-water mark resident. A full collection costs a few
    milliseconds once a measurement."""
    gc.collect()


def _module_with_data(name: str, data: object) -> types.ModuleType:
    module = types.ModuleType(name)
    module.DATA = data  # type: ignore[attr-defined]  # a stand-in module, built at run time
    return module


def missing_message(windows: bool = os.name == "nt") -> str:
    """The refusal's wording, with the fix for this platform."""
    if windows:
        from schoolnet_agent.probes.helpers.rawsocket_windows import MISSING_MESSAGE_WINDOWS

        return MISSING_MESSAGE_WINDOWS
    return MISSING_MESSAGE


class RawSocketAccess:
    """The answer, checked on first use; the refusal is logged once per process."""

    def __init__(self, check: Callable[[], str | None] = try_raw_socket):
        self._check = check
        self._reason: str | None = None
        self._checked = False
        self._lock = threading.Lock()

    @property
    def allowed(self) -> bool:
        with self._lock:
            if not self._checked:
                self._reason = self._check()
                self._checked = True
                if self._reason is not None:
                    log.warning(missing_message().format(reason=self._reason))
            return self._reason is None

    @property
    def reason(self) -> str | None:
        return self._reason if self._checked else None


# One per process: the uplink, netquality and lan probes share it, so the message appears once.
RAW_ACCESS = RawSocketAccess()
