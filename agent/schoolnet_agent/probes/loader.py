"""Import and start the enabled probes; a probe that fails to load is logged and skipped.

As in Glances, a broken probe (missing library, unsupported OS, a bug in its constructor)
disables itself and nothing else: the agent still reports what the other probes see.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from schoolnet_agent.probes import BUILTIN_PROBES
from schoolnet_agent.probes.base import Probe

if TYPE_CHECKING:
    from schoolnet_agent.config import AgentConfig

log = logging.getLogger(__name__)


class ProbeLoadError(Exception):
    """A registered probe that cannot be imported or is not a proper Probe."""


def load_probe_class(name: str, registry: Mapping[str, str] = BUILTIN_PROBES) -> type[Probe]:
    try:
        path = registry[name]
    except KeyError:
        raise ProbeLoadError(f"unknown probe {name!r}; known: {', '.join(registry)}") from None
    module_name, _, class_name = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except Exception as exc:
        raise ProbeLoadError(f"probe {name!r} ({path}) cannot be imported: {exc!r}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Probe)) or getattr(cls, "name", None) != name:
        raise ProbeLoadError(f"{path} is not a Probe named {name!r}")
    return cls


def load_probes(
    names: Iterable[str],
    registry: Mapping[str, str] = BUILTIN_PROBES,
    config: AgentConfig | None = None,
) -> list[Probe]:
    """Instances of the named probes that loaded, set up from ``config`` (None: defaults);
    each failure is logged once, with the reason."""
    probes: list[Probe] = []
    for name in names:
        try:
            probes.append(load_probe_class(name, registry).from_config(config))
        except ProbeLoadError as exc:
            log.error("%s; probe disabled", exc)
        except Exception:
            log.exception("probe %r failed to start; probe disabled", name)
    return probes
