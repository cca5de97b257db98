"""``[[projectors]]`` and ``[[boards]]``: the other devices a school's gateway reports.

Each entry becomes a device of its own (kind ``projector`` / ``board``) on the gateway's
school; the broker's ACL lets a gateway (username ``<school>``) write any device of its school
and refuses a PC's messages for other devices, so entries on anything but a gateway are a
configuration error rather than messages that would vanish at the broker. Every value is
checked like the rest of the configuration: the error names the entry and the key
(``projectors[2].host: expected a host name or IP address, got "10.0.5.300"``).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import fields
from typing import Any

from schoolnet_agent.probes.board import BoardSettings
from schoolnet_agent.probes.projector import ProjectorSettings
from schoolnet_agent.settings.checks import (
    Boolean,
    Check,
    Ident,
    Integer,
    Invalid,
    Number,
    Text,
    did_you_mean,
    shown,
)

MAX_PER_KIND = 128  # a large THPT school has ~30 projectors; beyond this is a mistake
HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
    r"(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$"
)


class SubdeviceConfigError(Exception):
    """A wrong ``[[projectors]]`` / ``[[boards]]`` entry; the message names entry and key."""


class Host(Text):
    expected = "a host name or IP address"

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid()
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            pass
        if re.fullmatch(r"[0-9.]+", value) or not HOSTNAME_RE.match(value):
            raise Invalid()
        return value


class Ports(Check):
    expected = "a non-empty list of TCP ports 1-65535"

    def check(self, value: Any) -> list[int]:
        if not isinstance(value, list) or not value or len(value) > 16:
            raise Invalid()
        return [Integer(1, 65535).check(v) for v in value]


class Hours(Integer):
    @property
    def expected(self) -> str:
        return f"a number of hours {self.lo}-{self.hi}"


PROJECTOR_KEYS: dict[str, Check] = {
    "id": Ident(),
    "host": Host(),
    "port": Integer(1, 65535),
    "password": Text(),
    "timeout_seconds": Number(0.1, 60),
    "lamp_rated_hours": Hours(1, 100_000),
}
BOARD_KEYS: dict[str, Check] = {
    "id": Ident(),
    "host": Host(),
    "tcp_ports": Ports(),
    "pjlink": Boolean(),
    "pjlink_port": Integer(1, 65535),
    "password": Text(),
    "timeout_seconds": Number(0.1, 60),
}
SECTIONS = {
    "projectors": (PROJECTOR_KEYS, ProjectorSettings),
    "boards": (BOARD_KEYS, BoardSettings),
}
assert all(set(keys) == {f.name for f in fields(cls)} for keys, cls in SECTIONS.values())


def read_subdevices(
    raw: dict[str, Any], own_id: str, kind: str
) -> tuple[list[ProjectorSettings], list[BoardSettings]]:
    """Take ``projectors`` and ``boards`` out of the parsed TOML and check every entry."""
    parsed: dict[str, list] = {}
    seen: dict[str, str] = {own_id: "device.id"}
    for section, (keys, cls) in SECTIONS.items():
        entries = raw.pop(section, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise SubdeviceConfigError(
                f"{section}: expected tables [[{section}]], got {shown(entries)}"
            )
        if entries and kind != "gateway":
            raise SubdeviceConfigError(
                f'{section}: only a gateway (device.kind = "gateway") reports other devices; '
                f"the broker refuses a {kind}'s messages for them"
            )
        if len(entries) > MAX_PER_KIND:
            raise SubdeviceConfigError(
                f"{section}: expected at most {MAX_PER_KIND} entries, got {len(entries)}"
            )
        parsed[section] = []
        for i, entry in enumerate(entries, start=1):
            where = f"{section}[{i}]"
            parsed[section].append(cls(**_check_entry(where, entry, keys)))
            device_id = parsed[section][-1].id
            if device_id in seen:
                raise SubdeviceConfigError(
                    f"{where}.id: {device_id!r} is already used by "
                    f"{seen[device_id]}; device ids are unique in a school"
                )
            seen[device_id] = f"{where}.id"
    return parsed["projectors"], parsed["boards"]


def _check_entry(where: str, entry: dict[str, Any], keys: dict[str, Check]) -> dict[str, Any]:
    for key in entry:
        if key not in keys:
            raise SubdeviceConfigError(
                f"{where}.{key}: unknown key{did_you_mean(key, keys)}; known: {', '.join(keys)}"
            )
    for required in ("id", "host"):
        if required not in entry:
            raise SubdeviceConfigError(f"{where}.{required}: required key missing")
    values = {}
    for key, value in entry.items():
        check = keys[key]
        try:
            values[key] = check.check(value)
        except Invalid as exc:
            raise SubdeviceConfigError(
                f"{where}.{key}: expected {check.expected}, got {shown(value)}{exc}"
            ) from None
    return values
