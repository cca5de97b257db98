"""A profile's plans (format 2): the Sở's plans, each measured on its own area.

A merged Sở answers for its old provinces' plans until it writes a new one, so a merged
profile carries them: each ``plans`` entry is a targets file of ``planning/targets.py``
(``id``, ``name``, ``area`` and its ``targets``), written out by ``simulate --export-plans``
for the collector's ``[planning] plans``. Its area must be the province or one of the
profile's old provinces: a plan on an area the exported units lack would stop every report.

The simulator may not import the planning package (it stands outside the collector), so the
shape of a target is checked here; ``tests/collector/simulator/test_export.py`` loads every
exported plan with the real ``planning.plans.load_plans``.
"""

from __future__ import annotations

import re

from schoolnet_collector.simulator.profile import PlanEntry, Profile
from schoolnet_collector.simulator.schema_reader import Node

PLAN_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
TARGET_KEYS = ("milestones", "unit", "op", "source")
UNITS = ("percent", "count")
OPS = (">=", "<=")


def parse_plans(node: Node, profile: Profile) -> tuple[PlanEntry, ...]:
    if node.value is None:
        return ()
    areas = [profile.province_id, *(lp.id for lp in profile.legacy_provinces())]
    plans: list[PlanEntry] = []
    for entry in node.elements():
        plan_id = entry.get("id")
        if not isinstance(plan_id.value, str) or not PLAN_ID_RE.match(plan_id.value):
            plan_id.fail(f"{plan_id.value!r} is not a plan id (lowercase letters, digits, - _)")
        twin = next((p for p in plans if p.id == plan_id.value), None)
        if twin is not None:
            plan_id.fail(f"duplicate plan id {plan_id.value!r}")
        name = entry.get("name").text()
        if len(name) > 200:
            entry.get("name").fail("longer than 200 characters")
        area = entry.get("area")
        if area.value not in areas:
            area.fail(
                f"{area.value!r} is not a legacy province of this profile nor its province; "
                f"the areas are: {', '.join(areas)}"
            )
        targets = {key: _target(spec) for key, spec in entry.get("targets").items()}
        body: dict[str, object] = {
            "format": 1,
            "plan": {"id": plan_id.value, "name": name, "area": area.value},
            "targets": targets,
        }
        params = entry.get("parameters", None)
        if params.value is not None:
            if not isinstance(params.value, dict):
                params.fail("must be a mapping (the targets file's parameters)")
            body["parameters"] = params.value
        plans.append(PlanEntry(plan_id.value, name, area.value, body))
    return tuple(plans)


def _target(node: Node) -> dict[str, object]:
    if not isinstance(node.value, dict):
        node.fail("must be a mapping with milestones and source")
    for key in node.value:
        if key not in TARGET_KEYS:
            node.get(str(key)).fail(f"unknown key; a target has {', '.join(TARGET_KEYS)}")
    milestones: dict[int, float] = {}
    for year, value in node.get("milestones").items():
        if not (year.isdigit() and 2000 <= int(year) <= 2100):
            value.fail(f"{year!r} is not a year")
        milestones[int(year)] = value.number(0, 1e6)
    out: dict[str, object] = {"milestones": milestones}
    unit = node.get("unit", "percent")
    if unit.value not in UNITS:
        unit.fail(f"{unit.value!r}: use {' or '.join(UNITS)}")
    op = node.get("op", ">=")
    if op.value not in OPS:
        op.fail(f"{op.value!r}: use {' or '.join(OPS)}")
    out.update(unit=unit.value, op=op.value, source=node.get("source").text())
    return out
