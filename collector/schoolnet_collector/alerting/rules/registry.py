"""How the collector finds its alert rules: by name, one line each in ``rules/__init__.py``.

A :class:`Registration` names a rule (its key under ``rules:`` in the rule file, the first part
of its incidents' keys) and where its class is; the class says everything else: its settings
(the fields of the pydantic model), its short text, its condition (``find``) and its doc. The
rule file's validation, the evaluator and the rule reference (``schoolnet-collector rules``,
docs/alerting.md) read this list; nothing else names the rules.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from schoolnet_collector.alerting.rules.base import Rule


@dataclass(frozen=True)
class Registration:
    """A rule's name and its class as ``"module:Class"``; a module starting with ``.`` is in
    this package (``".disk_full:DiskFull"``)."""

    name: str
    path: str


class Registry:
    """The registered rules, in the order they are judged and documented: a rule that finds a
    school offline (``school_offline``) comes first, as nothing beneath it is judged then."""

    def __init__(self, registrations: Iterable[Registration]):
        self._registrations: dict[str, Registration] = {}
        for r in registrations:
            if r.name in self._registrations:
                raise ValueError(f"rule {r.name!r} is registered twice")
            self._registrations[r.name] = r

    def __iter__(self) -> Iterator[Registration]:
        return iter(self._registrations.values())

    def names(self) -> tuple[str, ...]:
        return tuple(self._registrations)

    def rule_class(self, name: str) -> type[Rule]:
        try:
            path = self._registrations[name].path
        except KeyError:
            raise LookupError(f"unknown rule {name!r}; known: {', '.join(self.names())}") from None
        return _load(path)

    def classes(self) -> dict[str, type[Rule]]:
        return {r.name: self.rule_class(r.name) for r in self}


@cache
def _load(path: str) -> type[Rule]:
    """Rules carry no optional dependencies: one that does not import is a bug, raised."""
    module_name, _, class_name = path.partition(":")
    cls = getattr(importlib.import_module(module_name, __package__), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Rule)):
        raise TypeError(f"{path} is not an alert rule (a subclass of rules.base.Rule)")
    return cls
