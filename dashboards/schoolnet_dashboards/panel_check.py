"""Run every query of a dashboard against InfluxDB as Grafana would, for one selection of
its variables: the way to prove a dashboard works where no Grafana runs (tests, a new site).

Variable queries run first, in the dashboard's order, each interpolated with the selection
made so far (``level`` lists only the levels of the chosen communes); then each panel's
targets run with their own time range and interval (see ``dashboard_model``).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from schoolnet_dashboards import dashboard_model as model
from schoolnet_dashboards.dashboard_model import Json, Selection
from schoolnet_dashboards.grafana_vars import interpolate, unresolved

Runner = Callable[[str], list[Json]]  # InfluxQL → the first statement's "series" list


def time_filter(range_seconds: float, frontend: bool, now_ms: int | None = None) -> str:
    """Grafana's ``$timeFilter`` for "the last N seconds": relative in the frontend path,
    absolute milliseconds when the backend renders it."""
    if frontend:
        return f"time >= now() - {int(range_seconds)}s and time <= now()"
    to_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    return f"time > {to_ms - int(range_seconds * 1000)}ms and time < {to_ms}ms"


def series_values(series: list[Json]) -> list[str]:
    """Values of a SHOW TAG VALUES answer (column ``value``)."""
    out: list[str] = []
    for s in series:
        column = s["columns"].index("value")
        out.extend(row[column] for row in s.get("values", []))
    return sorted(set(out))


def variable_options(
    dashboard: Json, selection: Selection, run: Runner, frontend: bool = False
) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for var in model.template_variables(dashboard):
        if var.get("type") != "query":
            continue
        variables = model.query_variables(dashboard, selection, options)
        query = interpolate(
            var["query"], {k: v for k, v in variables.items() if k in options}, {}, frontend
        )
        options[var["name"]] = series_values(run(query))
    return options


@dataclass
class PanelResult:
    query: model.PanelQuery
    text: str
    series: list[Json]

    @property
    def rows(self) -> int:
        return sum(len(s.get("values", [])) for s in self.series)

    @property
    def has_values(self) -> bool:
        """At least one non-null value besides time (fill(null) rows alone do not count)."""
        return any(
            v is not None for s in self.series for row in s.get("values", []) for v in row[1:]
        )


def render(
    dashboard: Json,
    selection: Selection,
    options: dict[str, list[str]],
    range_seconds: float = 3600,
    auto_interval: str = "1m",
    frontend: bool = False,
) -> list[tuple[model.PanelQuery, str]]:
    variables = model.query_variables(dashboard, selection, options)
    out = []
    for q in model.queries(dashboard):
        builtins = {
            "timeFilter": time_filter(q.range_seconds(range_seconds), frontend),
            "__interval": q.interval(auto_interval),
            "interval": q.interval(auto_interval),
        }
        text = interpolate(q.target["query"], variables, builtins, frontend)
        if unresolved(text):
            raise ValueError(f"{q.title}: variables left after interpolation: {unresolved(text)}")
        out.append((q, text))
    return out


def run_panels(
    dashboard: Json,
    selection: Selection,
    run: Runner,
    range_seconds: float = 3600,
    auto_interval: str = "1m",
    frontend: bool = False,
) -> list[PanelResult]:
    options = variable_options(dashboard, selection, run, frontend)
    return [
        PanelResult(q, text, run(text))
        for q, text in render(dashboard, selection, options, range_seconds, auto_interval, frontend)
    ]


def http_runner(url: str, database: str, timeout: float = 10.0) -> Runner:
    """Queries by GET on InfluxDB's /query, as the provisioned data source does (httpMode GET)."""

    def run(query: str) -> list[Json]:
        params = urllib.parse.urlencode({"db": database, "q": query, "epoch": "ms"})
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/query?{params}", timeout=timeout) as r:
                result = json.load(r)["results"][0]
        except urllib.error.HTTPError as exc:  # 400: InfluxQL syntax error, with a JSON body
            result = {"error": f"HTTP {exc.code}: {exc.read()[:300].decode(errors='replace')}"}
        if "error" in result:
            raise ValueError(f"InfluxQL error: {result['error']}\n  in: {query}")
        series: list[Json] = result.get("series", [])
        return series

    return run
