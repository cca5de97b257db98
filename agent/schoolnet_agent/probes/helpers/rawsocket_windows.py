"""Raw sockets on Windows: what the gateway probes' ARP/ICMP need there, and the message when
it is missing.

Windows has no AF_PACKET; scapy sends and sniffs through the Npcap driver, which is a separate
install (``%SystemRoot%\\System32\\Npcap\\wpcap.dll``). Npcap may also have been installed
"for administrators only", in which case the agent's service must run as LocalSystem (as the
Ansible role installs it). Without Npcap the raw-socket parts switch off with one clear line
and everything else keeps running, as on Linux without CAP_NET_RAW.
"""

from __future__ import annotations

import os
from collections.abc import Callable

FIX = "install Npcap (https://npcap.com) on the gateway and run the agent's service as LocalSystem"


def npcap_dll(system_root: str | None = None) -> str:
    root = system_root or os.environ.get("SYSTEMROOT", r"C:\Windows")
    return os.path.join(root, "System32", "Npcap", "wpcap.dll")


def is_admin() -> bool:
    """True when this process has administrator rights (False off Windows)."""
    try:
        import ctypes

        return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]  # windll: Windows only
    except (AttributeError, OSError):
        return False


def windows_raw_socket_problem(
    system_root: str | None = None, admin: Callable[[], bool] = is_admin
) -> str | None:
    """None when Npcap is installed and we are an administrator, else what is missing."""
    if not os.path.isfile(npcap_dll(system_root)):
        return f"Npcap is not installed ({npcap_dll(system_root)} missing)"
    if not admin():
        return "the agent is not running as an administrator (Npcap may be restricted to them)"
    return None


MISSING_MESSAGE_WINDOWS = (
    "raw sockets are not available ({reason}): ARP discovery and ICMP "
    "measurements are off, the other probes keep running; " + FIX
)
