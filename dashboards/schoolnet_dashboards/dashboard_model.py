"""Read a dashboard JSON the way Grafana runs it: its panels, their queries, each panel's
time range and interval, and its variables.

Grafana gives each panel's queries ``$timeFilter`` and ``$__interval`` from the dashboard's
range unless the panel overrides them: ``timeFrom: "5m"`` (relative time: the last 5 minutes,
whatever the dashboard shows) and ``interval: "1m"`` (the minimum interval). The "online now"
panels rely on the first, the per-minute counts on the second, so both are modelled here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from schoolnet_dashboards.grafana_vars import Variable

DASHBOARD_DIR = Path(__file__).resolve().parent.parent
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w)$")
_DS_VARIABLE = re.compile(r"^\$\{(\w+)\}$|^\$(\w+)$")
Json = dict[str, Any]
"""A JSON object as Grafana writes it (a dashboard, a panel, a target, a variable)."""
Selection = Mapping[str, str | list[str]]
"""The value (or values, or ``$__all``) chosen for each variable, by name."""


def load(path: str | Path) -> Json:
    dashboard: Json = json.loads(Path(path).read_text(encoding="utf-8"))
    return dashboard


def seconds(duration: str) -> float:
    """``"5m"`` → 300.0; ValueError naming the text for anything Grafana would not take."""
    m = _DURATION.match(duration.strip())
    if not m:
        raise ValueError(f"not a Grafana duration (e.g. 30s, 5m, 1h): {duration!r}")
    return int(m.group(1)) * UNITS[m.group(2)]


def panels(dashboard: Json) -> Iterator[Json]:
    """Every panel, including those inside collapsed rows; rows themselves are skipped."""
    for panel in dashboard.get("panels", []):
        if panel.get("type") == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


@dataclass
class PanelQuery:
    panel: Json
    target: Json

    @property
    def title(self) -> str:
        return f"{self.panel.get('id')}:{self.panel.get('title')}/{self.target.get('refId')}"

    def range_seconds(self, dashboard_range: float) -> float:
        """The panel's relative time override (``timeFrom``) wins over the dashboard's."""
        time_from = self.panel.get("timeFrom")
        return seconds(time_from) if time_from else dashboard_range

    def interval(self, auto: str) -> str:
        """Grafana's ``$__interval``: the automatic one, but never below the panel's minimum."""
        minimum: str | None = self.panel.get("interval")
        if minimum and seconds(minimum) > seconds(auto):
            return minimum
        return auto


def queries(dashboard: Json) -> Iterator[PanelQuery]:
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            if not target.get("hide"):
                yield PanelQuery(panel, target)


def template_variables(dashboard: Json) -> list[Json]:
    return list(dashboard.get("templating", {}).get("list", []))


def datasource_uid(ref: Json | str | None, dashboard: Json) -> str | None:
    """The data source uid a panel or target refers to, through a datasource variable."""
    uid: str | None = ref.get("uid") if isinstance(ref, dict) else ref
    m = _DS_VARIABLE.match(uid or "")
    if not m:
        return uid
    name = m.group(1) or m.group(2)
    for var in template_variables(dashboard):
        if var["name"] == name and var.get("type") == "datasource":
            value: str | None = var.get("current", {}).get("value")
            return value
    return None


def query_variables(
    dashboard: Json, selection: Selection, options: dict[str, list[str]]
) -> dict[str, Variable]:
    """Interpolation view of the dashboard's query variables with a chosen ``selection``."""
    out: dict[str, Variable] = {}
    for var in template_variables(dashboard):
        if var.get("type") == "query":
            name = var["name"]
            out[name] = Variable.from_json(var, options.get(name, []), selection.get(name, ""))
    return out
