"""May this process open raw sockets (ARP, ICMP with scapy)? Answered once, said once.

Raw sockets need CAP_NET_RAW, not root: the gateway's systemd unit grants exactly that
(``AmbientCapabilities=CAP_NET_RAW``). Started without it (by hand as a normal user, or with a
unit that lost the line), the raw-socket measurements are switched off with one clear log
line naming the fix, and every other probe (and the non-raw parts of these: DNS and TCP
timings, interface counters, uplink type) keeps running.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import socket
import threading
from typing import Callable

log = logging.getLogger(__name__)

MISSING_MESSAGE = ("raw sockets are not permitted ({reason}): ARP discovery and ICMP "
                   "measurements are off, the other probes keep running; give the agent "
                   "CAP_NET_RAW (systemd: AmbientCapabilities=CAP_NET_RAW) or run it as root")


def try_raw_socket() -> str | None:
    """None if a raw packet socket opens, else why not (missing capability, no AF_PACKET)."""
    if importlib.util.find_spec("scapy") is None:  # an OpenWrt or hand-made install
        return "scapy is not installed: pip install 'schoolnet[gateway]'"
    if os.name == "nt":  # no AF_PACKET on Windows: scapy goes through the Npcap driver
        from schoolnet_agent.probes.rawsocket_windows import windows_raw_socket_problem

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


def missing_message(windows: bool = os.name == "nt") -> str:
    """The refusal's wording, with the fix for this platform."""
    if windows:
        from schoolnet_agent.probes.rawsocket_windows import MISSING_MESSAGE_WINDOWS

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
