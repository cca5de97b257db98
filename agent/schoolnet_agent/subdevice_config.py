"""``[[projectors]]``, ``[[boards]]``: the other devices a school's gateway reports, one an entry.

Each array of tables belongs to a sub-device probe (its ``section`` in ``probes/__init__.py``),
whose settings model says the keys of an entry and how each is checked (``KEYS``). Every entry
becomes a device of its own (of the probe's kind) on the gateway's school; the broker's ACL
lets a gateway (username ``<school>``) write any device of its school and refuses a PC's
messages for other devices, so entries on anything but a gateway are a configuration error
rather than messages that would vanish at the broker. The error names the entry and the key
(``projectors[2].host: expected a host name or IP address, got "10.0.5.300"``). A probe's
module is imported only when its section has entries.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any

from schoolnet_agent.probes import PROBES
from schoolnet_agent.settings.checks import Check, Invalid, did_you_mean, shown

MAX_PER_KIND = 128  # a large THPT school has ~30 projectors; beyond this is a mistake


class SubdeviceConfigError(Exception):
    """A wrong sub-device entry; the message names entry and key."""


def read_subdevices(raw: dict[str, Any], own_id: str, kind: str) -> dict[str, list[Any]]:
    """Take every sub-device section out of the parsed TOML and check every entry: section →
    the settings of its entries (every section present, empty when not configured)."""
    parsed: dict[str, list[Any]] = {}
    seen: dict[str, str] = {own_id: "device.id"}
    for section, probe in PROBES.sections().items():
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
        if not entries:
            continue
        model = PROBES.probe_class(probe).settings_model
        assert model is not None, f"sub-device probe {probe!r} declares no settings_model"
        for i, entry in enumerate(entries, start=1):
            where = f"{section}[{i}]"
            parsed[section].append(model(**_check_entry(where, entry, model)))
            device_id = parsed[section][-1].id
            if device_id in seen:
                raise SubdeviceConfigError(
                    f"{where}.id: {device_id!r} is already used by "
                    f"{seen[device_id]}; device ids are unique in a school"
                )
            seen[device_id] = f"{where}.id"
    return parsed


def _check_entry(where: str, entry: dict[str, Any], model: type[Any]) -> dict[str, Any]:
    keys: dict[str, Check] = model.KEYS
    for key in entry:
        if key not in keys:
            raise SubdeviceConfigError(
                f"{where}.{key}: unknown key{did_you_mean(key, keys)}; known: {', '.join(keys)}"
            )
    for required in _required(model):
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


def _required(model: type[Any]) -> list[str]:
    """The keys without a default (``id`` and ``host`` for every sub-device so far)."""
    return [f.name for f in fields(model) if f.default is MISSING and f.default_factory is MISSING]
