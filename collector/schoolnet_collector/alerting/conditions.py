"""Which problems exist right now, from one snapshot of the registry.

A pure function of the snapshot, the rules and the keys already active (for value hysteresis),
so it is tested without a clock or a database and costs one pass over the fleet. It asks each
registered rule (``alerting.rules``) in turn about each school and answers three things: the
conditions that hold (keyed like the incidents they would open), the keys it cannot judge now
(a lab PC outside school hours, a reading of a device that is offline), and the schools that
are offline as a whole (a rule that finds one, ``school_offline``, stops the rest: the school
incident covers them).
"""

from __future__ import annotations

from schoolnet_collector.alerting.rulefile import RuleSet
from schoolnet_collector.alerting.rules.base import Condition, Found, Out, School
from schoolnet_collector.alerting.rules.device_offline import DeviceOffline
from schoolnet_collector.alerting.snapshot import Snapshot, offline_since

__all__ = ["Condition", "Found", "Snapshot", "find_conditions"]


def find_conditions(snap: Snapshot, rules: RuleSet, active: set[str]) -> Found:
    found = Found(active=active)
    presence = rules.rule("device_offline")
    after = presence.offline_after_intervals if isinstance(presence, DeviceOffline) else 3.0
    enabled = [(name, rule) for name, rule in rules.in_order() if rule.enabled]
    for school_id, devices in snap.devices.items():
        school = School(
            school_id,
            devices,
            snap,
            {d.device_id: offline_since(d, snap.now, after) for d in devices},
            after,
            rules.presence_of,
        )
        for name, rule in enabled:
            rule.find(school, Out(found, name, rule.severity, school_id))
            if school_id in found.offline_schools:
                break  # nothing beneath it is judged while the school is away
    return found
