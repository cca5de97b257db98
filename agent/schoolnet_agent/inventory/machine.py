"""This machine's inventory: the platform's reader, with a ``machine_id`` that survives clones.

The readers are imported only for the platform they read (Linux or Windows), so neither pays
for the other's parsing.
"""

from __future__ import annotations

import platform
from typing import Any

from schoolnet_agent.inventory.common import Facts
from schoolnet_agent.inventory.identity import Evidence, machine_id


class UnsupportedPlatform(Exception):
    """No inventory reader for this operating system (e.g. macOS, BSD)."""


def collect_facts(system: str | None = None, **kwargs: Any) -> Facts:
    """This machine's facts; ``kwargs`` go to the platform's reader (fixture roots, runners)."""
    system = system or platform.system()
    if system == "Linux":
        from schoolnet_agent.inventory import linux

        return linux.collect(**kwargs)
    if system == "Windows":
        from schoolnet_agent.inventory import windows

        return windows.collect(**kwargs)
    raise UnsupportedPlatform(f"no hardware inventory on {system or 'this system'}")


def machine_inventory(state_directory: str, facts: Facts) -> dict[str, Any]:
    """The inventory with its ``machine_id`` (created or checked in the state directory)."""
    evidence = Evidence(facts.smbios_uuid, facts.serial, list(facts.macs))
    return {"machine_id": machine_id(state_directory, evidence), **facts.inventory}
