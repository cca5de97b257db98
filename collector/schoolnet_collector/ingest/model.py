"""The declared data model at ingest: one type per measurement field, inventory key, event datum.

The types come from the agent's own declarations (``declared.json``, generated from them by
``python -m devenv.declared_model``; a test keeps it current), so a field's type is decided
once, by the probe that documents it, and never by whichever device writes it first. What no
probe declares (a newer agent's probe, a site's own metric) is stored as a number: a device
may add fields, but cannot make one a string (or a boolean) for everyone else. Each type
is exactly what the collector stored before the model existed, so an upgraded collector's
points fit the shards already written.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

NUMBER = "number"  # stored as a float (an int too: 1 → 1.0)
BOOL = "bool"  # stored as an InfluxDB boolean, as it always was (devenv/declared_model.py)
FLAG = "flag"  # a yes/no stored as 1.0 / 0.0: dashboards and reports sum and compare it
TEXT = "text"
UNDECLARED: dict[str, str] = {}  # every field a number (event data: text)

_MODEL = json.loads(
    resources.files("schoolnet_collector.ingest").joinpath("declared.json").read_text("utf-8")
)
METRICS: dict[str, dict[str, str]] = _MODEL["metrics"]
EVENT_DATA: dict[str, dict[str, str]] = _MODEL["event_data"]
INVENTORY: dict[str, str] = _MODEL["inventory"]
# Inventory keys no table names carry their type in their name, as the declared ones do.
_NUMBER_SUFFIXES = ("_bytes", "_count", "_cores", "_threads", "_bits")
_INVENTORY_RE: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\A{p}\Z"), kind) for p, kind in _MODEL["inventory_patterns"]
]


def metric_types(name: str) -> dict[str, str]:
    """field → type of a measurement (empty for an undeclared one: every field a number)."""
    return METRICS.get(name, UNDECLARED)


def event_data_types(event_type: str) -> dict[str, str]:
    return EVENT_DATA.get(event_type, UNDECLARED)


@lru_cache(maxsize=4096)
def inventory_type(key: str) -> str:
    kind = INVENTORY.get(key)
    if kind is not None:
        return kind
    for pattern, declared in _INVENTORY_RE:
        if pattern.match(key):
            return declared
    return NUMBER if key.endswith(_NUMBER_SUFFIXES) else TEXT
