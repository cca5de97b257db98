"""How the collector finds its planners' reports: by name, each imported when first used.

A :class:`Registration` (one line per report in ``reports/__init__.py``) says where a report's
class is; the class says everything else (``base.Report``). The CLI builds its choices from
the names alone, so ``schoolnet-collector report --help`` imports no report.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from schoolnet_collector.planning.reports.base import Report


class UnknownReport(LookupError):
    """A report name nobody registered; the message lists the known ones."""


@dataclass(frozen=True)
class Registration:
    """A report's name and its class as ``"module:Class"``; a module starting with ``.`` is in
    this package (``".readiness:ReadinessReport"``)."""

    name: str
    path: str


class Registry:
    """The registered reports, in the order the CLI, the pages and the docs list them."""

    def __init__(self, registrations: Iterable[Registration]):
        self._registrations: dict[str, Registration] = {}
        self._loaded: dict[str, Report[Any]] = {}
        for r in registrations:
            if r.name in self._registrations:
                raise ValueError(f"report {r.name!r} is registered twice")
            self._registrations[r.name] = r

    def names(self) -> tuple[str, ...]:
        return tuple(self._registrations)

    def known(self) -> str:
        """The names as a message lists them: ``readiness, procurement``."""
        return ", ".join(self._registrations)

    def get(self, name: str) -> Report[Any]:
        """The report called ``name``; :class:`UnknownReport` naming the known ones if none is.
        A registration that does not lead to a ``Report`` of that name is a programming error
        and raises ``TypeError`` (its test fails)."""
        if name in self._loaded:
            return self._loaded[name]
        try:
            path = self._registrations[name].path
        except KeyError:
            raise UnknownReport(f"unknown report {name!r}; known: {self.known()}") from None
        module_name, _, class_name = path.partition(":")
        cls = getattr(importlib.import_module(module_name, __package__), class_name)
        if not (isinstance(cls, type) and issubclass(cls, Report)) or cls.name != name:
            raise TypeError(f"{path} is not a Report named {name!r}")
        report: Report[Any] = cls()
        self._loaded[name] = report
        return report

    def __iter__(self) -> Iterator[Report[Any]]:
        return (self.get(name) for name in self._registrations)
