"""How the collector finds its delivery channels: one ``Registration`` line per channel
(``channels/__init__.py``), each a module's ``UNIT``.

The configuration needs every channel's settings model when it is imported, so the registry
imports all registered modules on first use; a channel module therefore keeps its heavy
libraries (paho, urllib3) inside the functions that send.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from schoolnet_collector.channels.base import ChannelUnit


class ChannelLoadError(Exception):
    """A registered channel that cannot be imported or is not a proper unit."""


@dataclass(frozen=True)
class Registration:
    """A channel's name and where its unit is, ``"module:UNIT"`` (``.`` = this package)."""

    name: str
    path: str


class Registry:
    def __init__(self, registrations: Iterable[Registration]) -> None:
        self._registrations: dict[str, Registration] = {}
        for r in registrations:
            if r.name in self._registrations:
                raise ValueError(f"channel {r.name!r} is registered twice")
            self._registrations[r.name] = r
        self._units: dict[str, ChannelUnit[Any]] | None = None

    def names(self) -> tuple[str, ...]:
        return tuple(self._registrations)

    def _load(self) -> dict[str, ChannelUnit[Any]]:
        if self._units is None:
            units: dict[str, ChannelUnit[Any]] = {}
            for r in self._registrations.values():
                module_name, _, attr = r.path.partition(":")
                try:
                    unit = getattr(importlib.import_module(module_name, __package__), attr)
                except Exception as exc:
                    raise ChannelLoadError(f"channel {r.name!r} ({r.path}): {exc!r}") from exc
                if not isinstance(unit, ChannelUnit) or unit.name != r.name:
                    raise ChannelLoadError(f"{r.path} is not a ChannelUnit named {r.name!r}")
                units[r.name] = unit
            fields = [u.contact_field for u in units.values() if u.contact_field]
            sections = [u.section for u in units.values()]
            for what, values in (("contact field", fields), ("section", sections)):
                if len(set(values)) != len(values):
                    raise ChannelLoadError(f"two channels share a {what}: {values}")
            self._units = units
        return self._units

    def __iter__(self) -> Iterator[ChannelUnit[Any]]:
        return iter(self._load().values())

    def __contains__(self, name: object) -> bool:
        return name in self._registrations

    def __getitem__(self, name: str) -> ChannelUnit[Any]:
        try:
            return self._load()[name]
        except KeyError:
            raise KeyError(f"unknown channel {name!r}; known: {', '.join(self.names())}") from None

    def contact_units(self) -> list[ChannelUnit[Any]]:
        """Channels a contact has addresses for, in the order they are listed and routed."""
        return [u for u in self if u.contact_field is not None]

    def by_field(self, contact_field: str) -> ChannelUnit[Any]:
        for unit in self.contact_units():
            if unit.contact_field == contact_field:
                return unit
        raise KeyError(contact_field)
