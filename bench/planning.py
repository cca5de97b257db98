"""Time the planners' reports on a whole province, against the InfluxDB time they contain.

A simulated province (by default the merged Lào Cai + Yên Bái profile: ~1,300 schools and
~32,000 devices in communes, with the two old provinces' plans) is registered (units, schools,
equipment file) and a day of readings is written straight into a fresh InfluxDB: an uplink sample every
10 minutes per gateway, an hourly report (and uptime) per working device, one inventory per
computer, projector and board readings. Then each report runs for the province and for one
school, counting its queries and the time spent waiting for InfluxDB. The reports group by
school/device inside InfluxDB, so the number of queries does not grow with the devices and the
Python side adds little: the script exits 1 when a province report takes more than ``--limit``
(default 1.5) x its own InfluxDB time, or the province's day report more than ``--max-seconds``
(default 5). The province reports measure every plan on its own area and the whole province.
One JSON line on stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devenv.services import InfluxDB1  # noqa: E402
from schoolnet_collector.core.config import InfluxConfig  # noqa: E402
from schoolnet_collector.planning.period import parse_period, parse_scope  # noqa: E402
from schoolnet_collector.planning.plans import load_plans  # noqa: E402
from schoolnet_collector.planning.reports import REPORTS  # noqa: E402
from schoolnet_collector.planning.reports.base import Inputs  # noqa: E402
from schoolnet_collector.registry.db import make_engine, migrate, session_factory  # noqa: E402
from schoolnet_collector.registry.equipment import import_equipment  # noqa: E402
from schoolnet_collector.registry.schools import import_schools  # noqa: E402
from schoolnet_collector.registry.unit_import import apply_units, plan_units  # noqa: E402
from schoolnet_collector.simulator.export import (  # noqa: E402
    write_devices,
    write_plans,
    write_schools,
    write_units,
)
from schoolnet_collector.simulator.fleet import generate_fleet  # noqa: E402
from schoolnet_collector.simulator.profile_file import load_profile  # noqa: E402
from schoolnet_collector.storage.influx import InfluxStore  # noqa: E402

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)
PCS = ("gateway", "lab_pc", "admin_pc")


def day_of_readings(fleet) -> list[str]:
    start = NOW - timedelta(days=1)
    lines = []
    for s in fleet:
        if not s.online:
            continue
        body = "province" if s.level in ("thpt", "gdtx") else "commune"  # the collector's tags
        base = (
            f"province={s.province},commune={s.commune or 'unassigned'},managing_body={body},"
            f"school={s.id},level={s.level}"
        )
        fixed = int(s.uplink == "fibre")
        for k in range(144):
            t = int((start + timedelta(minutes=10 * k)).timestamp() * 1000)
            lines.append(
                f"uplink,{base},device=gw,kind=gateway fixed={fixed}.0,cellular={1 - fixed}.0,"
                f"up=1.0,rtt_ms={20 + 150 * (1 - fixed)}.0,loss_percent=0.5 {t}"
            )
        for d in s.devices:
            if d.broken:
                continue
            tags = f"{base},device={d.id},kind={d.kind}"
            for h in range(24):
                t = int((start + timedelta(hours=h)).timestamp() * 1000)
                lines.append(f"report,{tags} seq={h}.0 {t}")
                if d.kind in PCS:
                    lines.append(f"system,{tags} uptime_seconds={3600 * h + 60}.0 {t}")
                elif d.kind == "projector":
                    lines.append(
                        f"projector,{tags} error=0.0,lamp_hours=1000.0,lamp_rated_hours=3000.0 {t}"
                    )
                elif d.kind == "board":
                    lines.append(f"board,{tags} reachable=1.0 {t}")
            if d.kind in PCS:
                t = int(start.timestamp() * 1000)
                lines.append(
                    f'inventory,{tags} bios_date="{d.year}-01-01",ram_bytes=4e9,cpu_bits=64.0 {t}'
                )
                lines.append(f"disk,{tags},instance=/ used_percent=50.0 {t}")
    return lines


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=float, default=1.5)
    ap.add_argument("--max-seconds", type=float, default=5.0)
    ap.add_argument("--profile", default="lao-cai-yen-bai-2025")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-planning-"))
    profile = load_profile(args.profile)
    fleet = generate_fleet(profile, 1.0, 0)
    two_tier = bool(profile.two_tier)
    if two_tier:
        write_units(tmp / "units.csv", profile)
    write_schools(tmp / "schools.csv", fleet, two_tier=two_tier)
    write_devices(tmp / "devices.csv", fleet)
    plans = load_plans(write_plans(tmp / "plans", profile))
    engine = make_engine(f"sqlite:///{tmp}/registry.sqlite3")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        if two_tier:
            units = plan_units(session, tmp / "units.csv")
            assert not units.errors, units.errors[:3]
            apply_units(session, units)
        assert not import_schools(session, tmp / "schools.csv").errors
        import_equipment(session, tmp / "devices.csv")
    server = InfluxDB1(tmp / "influxdb").start()
    try:
        store = InfluxStore(InfluxConfig(url=server.url, database="bench")).connect()
        lines = day_of_readings(fleet)
        write_s = timed(
            lambda: [store.write(lines[i : i + 5000]) for i in range(0, len(lines), 5000)]
        )
        period = parse_period("1d", NOW)
        one = next(s.id for s in fleet if s.online and s.lab_rooms)
        store.config.timeout = 120.0  # a noisy shared machine: measure, do not time out
        store.http = type(store.http)(num_pools=2, maxsize=4, retries=False, timeout=120.0)
        waited = {"queries": 0, "seconds": 0.0}
        rows = store.rows

        def counted_rows(q):
            started = time.perf_counter()
            try:
                return rows(q)
            finally:
                waited["queries"] += 1
                waited["seconds"] += time.perf_counter() - started

        store.rows = counted_rows
        out = {
            "profile": args.profile,
            "plans": [p.id for p in plans],
            "schools": len(fleet),
            "devices": sum(len(s.devices) for s in fleet),
            "lines_written": len(lines),
            "write_s": round(write_s, 1),
        }
        ok = True
        with sessions() as session:
            for unit in REPORTS:
                name = unit.name
                for label, scope in (("province", "province"), ("school", f"school:{one}")):
                    waited.update(queries=0, seconds=0.0)
                    total = timed(
                        lambda u=unit, s=scope: u.compute(
                            store, session, parse_scope(s), period, inputs=Inputs(plans=plans)
                        )
                    )
                    out[f"{name}_{label}_s"] = round(total, 2)
                    out[f"{name}_{label}_queries"] = waited["queries"]
                    out[f"{name}_{label}_influx_s"] = round(waited["seconds"], 2)
                    if label == "province":
                        ratio = total / waited["seconds"]
                        out[f"{name}_province_over_influx"] = round(ratio, 2)
                        ok &= ratio <= args.limit and total <= args.max_seconds
        out["limit"] = args.limit
        out["max_seconds"] = args.max_seconds
        print(json.dumps(out))
        return 0 if ok else 1
    finally:
        server.stop()
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
