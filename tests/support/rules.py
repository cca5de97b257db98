"""A pass's snapshot built in memory, for a rule's own test: devices and readings as the
evaluator reads them (plain rows with the same columns), a real (empty or given) calendar, and
the packaged rules with any settings changed."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timedelta, timezone

from schoolnet_collector.alerting.conditions import Found, find_conditions
from schoolnet_collector.alerting.rulefile import RuleSet, load_rules
from schoolnet_collector.alerting.snapshot import Snapshot
from schoolnet_collector.registry.calendar import Calendar

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # 09:00 in Lào Cai, a Wednesday
SCHOOL = "lc-test-01"

Device = namedtuple(
    "Device",
    "school_id device_id kind last_seen interval_seconds available available_changed "
    "expected_presence",
)
Reading = namedtuple("Reading", "school_id device_id name value text_value at")


def device(device_id: str, kind: str = "lab_pc", silent: timedelta = timedelta(0), **kw) -> Device:
    fields = {
        "school_id": SCHOOL,
        "device_id": device_id,
        "kind": kind,
        "last_seen": NOW - silent,
        "interval_seconds": 60.0,
        "available": True,
        "available_changed": None,
        "expected_presence": None,
    }
    return Device(**{**fields, **kw})


def reading(device_id: str, name: str, value=None, text=None, age=timedelta(0)) -> Reading:
    return Reading(SCHOOL, device_id, name, value, text, NOW - age)


def snapshot(devices, readings=(), now: datetime = NOW, calendar: Calendar | None = None):
    by_school: dict[str, list] = {}
    for d in devices:
        by_school.setdefault(d.school_id, []).append(d)
    values: dict[tuple[str, str], dict] = {}
    for r in readings:
        values.setdefault((r.school_id, r.device_id), {})[r.name] = r
    return Snapshot(now, by_school, values, calendar or Calendar([], [], []), set())


def rules(**changes: dict) -> RuleSet:
    """The packaged rules, with ``rule_name={setting: value}`` changed."""
    base = load_rules()
    data = base.model_dump()
    for name, settings in changes.items():
        data["rules"][name].update(settings)
    return type(base).model_validate(data)


def find(snap: Snapshot, ruleset: RuleSet | None = None, active=()) -> Found:
    return find_conditions(snap, ruleset or load_rules(), set(active))
