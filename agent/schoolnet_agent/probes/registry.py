"""How the agent finds its probes: by name, each imported only when it is used.

A :class:`Registration` (one line per probe in ``probes/__init__.py``) says where a probe's class
is; the class states everything else about it (``base.Probe``). Only what has to be known
*before* the module may be imported sits on the line: ``gateway`` (enabled by default only on a
gateway: a lab PC must never import a gateway probe, nor scapy behind it) and, for a probe of
the other devices a gateway reports, ``section``, the configuration's array of tables whose
entries it reports (``[[projectors]]``: a probe per entry; its name is their device kind).

Loading, as in Glances: a broken probe (missing library, unsupported OS, a bug in its
constructor) disables itself and nothing else, logged once with the reason; the agent still
reports what the other probes see.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from schoolnet_agent.probes.base import Probe

log = logging.getLogger(__name__)


class ProbeLoadError(Exception):
    """A registered probe that cannot be imported or is not a proper Probe."""


@dataclass(frozen=True)
class Registration:
    """A probe's name and its class as ``"module:Class"``; a module starting with ``.`` is in
    this package (``".cpu:CpuProbe"``)."""

    name: str
    path: str
    gateway: bool = False  # enabled by default only where device.kind = "gateway"
    section: str | None = None  # a sub-device probe: one per entry of [[section]]


class Registry:
    """The registered probes, in the order the configuration lists and the reference documents
    them."""

    def __init__(self, registrations: Iterable[Registration]):
        self._registrations: dict[str, Registration] = {}
        for r in registrations:
            if r.name in self._registrations:
                raise ValueError(f"probe {r.name!r} is registered twice")
            self._registrations[r.name] = r

    def __iter__(self) -> Iterator[Registration]:
        return iter(self._registrations.values())

    def own(self) -> tuple[str, ...]:
        """The probes of the agent's own device: what ``probes.enabled`` chooses from."""
        return tuple(r.name for r in self if r.section is None)

    def defaults(self, kind: str) -> list[str]:
        """Every probe of the own device, except that a gateway probe runs only on a gateway
        unless enabled."""
        return [n for n in self.own() if kind == "gateway" or not self._registrations[n].gateway]

    def sections(self) -> dict[str, str]:
        """Sub-device probes: configuration section → probe name (the devices' kind)."""
        return {r.section: r.name for r in self if r.section is not None}

    def probe_class(self, name: str) -> type[Probe]:
        try:
            path = self._registrations[name].path
        except KeyError:
            known = ", ".join(self._registrations)
            raise ProbeLoadError(f"unknown probe {name!r}; known: {known}") from None
        module_name, _, class_name = path.partition(":")
        try:
            cls = getattr(importlib.import_module(module_name, __package__), class_name)
        except Exception as exc:
            raise ProbeLoadError(f"probe {name!r} ({path}) cannot be imported: {exc!r}") from exc
        if (
            not (isinstance(cls, type) and issubclass(cls, Probe))
            or getattr(cls, "name", None) != name
        ):
            raise ProbeLoadError(f"{path} is not a Probe named {name!r}")
        return cls

    def load(
        self, names: Iterable[str], make: Callable[[type[Probe]], Probe] | None = None
    ) -> list[Probe]:
        """Instances of the named probes that loaded, each made by ``make`` (the config loader
        hands it its settings; None: made with no settings); each failure is logged once."""
        probes: list[Probe] = []
        for name in names:
            try:
                cls = self.probe_class(name)
                probes.append(make(cls) if make is not None else cls())
            except ProbeLoadError as exc:
                log.error("%s; probe disabled", exc)
            except Exception:
                log.exception("probe %r failed to start; probe disabled", name)
        return probes
