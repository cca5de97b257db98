"""Time one evaluation pass of the alert rules over a province-sized snapshot, in memory.

646 schools of 24 devices (a gateway, a router, a camera, 18 lab PCs, 2 projectors, a teacher
PC: 15,504 devices) with the readings the rules read (uplink fields per gateway, a disk per PC,
lamp and error per projector, SMART per PC: ~35,000), some of them over thresholds. The snapshot
is built once; ``find_conditions`` runs ``--runs`` times and the best is kept. The limit measured
in the same run is a bare loop that touches every device and every reading once (what any
pass must at least do): the JSON line gives the pass's ratio to it, and a digest of the
conditions found, equal between checkouts that judge alike. ``--checkout DIR`` times
another checkout's collector (e.g. the main branch) with the same snapshot, for a before/after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import namedtuple
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)
Device = namedtuple(
    "Device",
    "school_id device_id kind last_seen interval_seconds available available_changed "
    "expected_presence",
)
Reading = namedtuple("Reading", "school_id device_id name value text_value at")


def province(schools: int = 646):
    devices: dict[str, list] = {}
    readings: dict[tuple[str, str], dict] = {}

    def dev(school, name, kind, silent=0.0):
        d = Device(school, name, kind, NOW - timedelta(seconds=silent), 60.0, True, None, None)
        devices.setdefault(school, []).append(d)
        return d

    def read(school, device, name, value=None, text=None):
        readings.setdefault((school, device), {})[name] = Reading(
            school, device, name, value, text, NOW - timedelta(seconds=30)
        )

    for i in range(schools):
        s = f"lc-{i:04d}"
        dev(s, "gw", "gateway")
        for f, v in (
            ("up", 1.0),
            ("failover", 0.0),
            ("rtt_ms", 40.0 + i % 300),
            ("loss_percent", i % 9),
        ):
            read(s, "gw", f"uplink.{f}", v)
        read(s, "gw", "uplink.type", text="fibre" if i % 5 else "cellular")
        dev(s, "router", "router")
        dev(s, "cam-01", "camera", silent=3600 if i % 50 == 0 else 0)
        for p in range(18):
            name = f"pc-{p:02d}"
            dev(s, name, "lab_pc", silent=86400 * (p % 10))
            read(s, name, "disk.used_percent:/", 50.0 + (p * 7 + i) % 50)
            read(s, name, "inventory.smart_failed_count", 1.0 if (i + p) % 97 == 0 else 0.0)
        for p in range(2):
            name = f"pj-{p}"
            dev(s, name, "projector")
            read(s, name, "projector.lamp_hours", 1000.0 + (i * 37) % 3000)
            read(s, name, "projector.lamp_rated_hours", 3500.0)
            read(s, name, "projector.error", 1.0 if i % 40 == 0 else 0.0)
        dev(s, "teacher-pc", "teacher_pc")
    return devices, readings


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--checkout", type=Path, default=ROOT, help="whose collector to time")
    args = ap.parse_args()
    sys.path.insert(0, str(args.checkout / "collector"))
    sys.path.insert(0, str(args.checkout / "agent"))
    from schoolnet_collector.alerting import conditions
    from schoolnet_collector.registry.calendar import Calendar

    try:
        from schoolnet_collector.alerting.rulefile import load_rules
    except ImportError:  # a checkout from before the rules became units
        from schoolnet_collector.alerting.rules import load_rules  # type: ignore[no-redef]
    devices, readings = province()
    snap = conditions.Snapshot(NOW, devices, readings, Calendar([], [], []), set())
    rules = load_rules()

    def best(fn) -> float:
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    def bare() -> int:
        n = 0
        for ds in devices.values():
            for d in ds:
                n += d.last_seen is not None
                for v in readings.get((d.school_id, d.device_id), {}).values():
                    n += v.value is not None
        return n

    found = conditions.find_conditions(snap, rules, set())
    pass_s = best(lambda: conditions.find_conditions(snap, rules, set()))
    bare_s = best(bare)
    out = {
        "collector": str(Path(conditions.__file__).parents[2]),
        "schools": len(devices),
        "devices": sum(len(d) for d in devices.values()),
        "readings": sum(len(r) for r in readings.values()),
        "conditions": len(found.conditions),
        # the same conditions from two checkouts give the same digest (keys, severities, since)
        "conditions_digest": hashlib.sha256(
            repr(sorted((k, c.severity, c.since) for k, c in found.conditions.items())).encode()
        ).hexdigest()[:16],
        "pass_s": round(pass_s, 4),
        "bare_loop_s": round(bare_s, 4),
        "pass_ratio_to_bare_loop": round(pass_s / bare_s, 2),
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
