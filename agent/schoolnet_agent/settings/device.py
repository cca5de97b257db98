"""The device's own settings (``[device]``, ``[state]``) and their defaults from the machine.

Shared by most units: the runner numbers and labels reports with them, the delivery lengthens
the interval on a metered link, the probes are told the device they run on. The default id is
the hostname made valid, so one configuration template serves a whole lab.
"""

from __future__ import annotations

import os
import socket
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from schoolnet_agent.protocol.payload import schema
from schoolnet_agent.settings.checks import Check, Choice, Ident, Number, Text

KINDS = tuple(schema()["properties"]["kind"]["enum"])


@dataclass
class DeviceSettings:
    school: str
    id: str
    kind: str = "lab_pc"
    interval_seconds: float = 60.0

    KEYS: ClassVar[dict[str, Check]] = {
        "school": Ident(),
        "id": Ident(),
        "kind": Choice(KINDS),
        "interval_seconds": Number(1, 86400),
    }


@dataclass
class StateSettings:
    directory: str

    KEYS: ClassVar[dict[str, Check]] = {"directory": Text()}


def hostname_id(name: str | None = None) -> str:
    """The machine's hostname made into a valid device id (``PC-07.lab.local`` → ``pc-07``,
    ``Máy-Tính-3`` → ``may-tinh-3``: Vietnamese diacritics dropped, ``đ`` → ``d``)."""
    host = (name or socket.gethostname()).split(".")[0].lower().replace("đ", "d")
    host = "".join(c for c in unicodedata.normalize("NFKD", host) if not unicodedata.combining(c))
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in host)
    cleaned = cleaned.lstrip("-_")[:63]
    return cleaned or "device"


def default_state_dir() -> str:
    """Where the sequence counter lives unless ``[state] directory`` says otherwise."""
    if os.name == "nt":
        return os.path.join(os.environ.get("PROGRAMDATA", r"C:\ProgramData"), "schoolnet-agent")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return "/var/lib/schoolnet-agent"
    base = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return os.path.join(base, "schoolnet-agent")
