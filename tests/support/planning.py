"""A small hand-made province for the planning tests: four schools in two districts, their
equipment file, and two days of readings written straight into InfluxDB with known values
and times, so every indicator and every replacement reason has an exact expected value.

``NOW`` is a Tuesday, 10:00 in Lào Cai; the reports are computed as of then (injected clock).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from schoolnet_collector.core.config import InfluxConfig
from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.equipment import import_equipment
from schoolnet_collector.registry.schools import import_schools
from schoolnet_collector.storage.influx import InfluxStore

NOW = datetime(2026, 3, 10, 3, 0, tzinfo=timezone.utc)  # Tuesday 10:00 Asia/Ho_Chi_Minh
LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
STEP = timedelta(minutes=10)
SAMPLES = [NOW - k * STEP for k in range(288, 0, -1)]  # the last two days, every 10 min
OUTAGE = (
    datetime(2026, 3, 9, 1, 0, tzinfo=timezone.utc),  # Monday 08:00-09:00 local
    datetime(2026, 3, 9, 2, 0, tzinfo=timezone.utc),
)
OLD_INVENTORY = NOW - timedelta(days=30)  # retained, sent long before the period

SCHOOLS_CSV = """id,name,province,district,level,district_name,students
p-fibre,Trường THCS Cáp Quang,lao-cai,d-one,thcs,Huyện Một,300
p-3g,Trường Tiểu học Dcom,lao-cai,d-one,tieu_hoc,Huyện Một,200
p-none,Trường Mầm non Bản Xa,lao-cai,d-two,mam_non,Huyện Hai,80
p-thpt,Trường THPT Trung Tâm,lao-cai,d-two,thpt,Huyện Hai,900
"""
LEVEL = {"p-fibre": "thcs", "p-3g": "tieu_hoc", "p-none": "mam_non", "p-thpt": "thpt"}
DISTRICT = {"p-fibre": "d-one", "p-3g": "d-one", "p-none": "d-two", "p-thpt": "d-two"}

EQUIPMENT = [  # school, device, kind, purchase year, room
    ("p-fibre", "gw", "gateway", 2016, ""),
    *[("p-fibre", f"lab1-pc0{n}", "lab_pc", 2005, "lab1") for n in range(1, 5)],
    ("p-fibre", "admin-pc01", "admin_pc", 2016, ""),  # SMART failed -> replace
    ("p-fibre", "admin-pc02", "admin_pc", 2015, ""),  # 3 crashes, disk 95 % -> watch
    ("p-fibre", "admin-pc03", "admin_pc", 2012, ""),  # 32-bit, 1 GiB -> replace
    ("p-fibre", "proj-01", "projector", 2016, ""),  # lamp past rating + PJLink error -> replace
    ("p-fibre", "proj-02", "projector", 2016, ""),
    ("p-fibre", "board-01", "board", 2015, ""),  # reachable half the time -> watch
    ("p-3g", "gw", "gateway", 2016, ""),
    *[("p-3g", f"lab1-pc0{n}", "lab_pc", 2014, "lab1") for n in range(1, 3)],
    ("p-none", "admin-pc01", "admin_pc", 2010, ""),  # never heard (no internet)
    ("p-thpt", "gw", "gateway", 2016, ""),
    *[("p-thpt", f"lab1-pc0{n}", "lab_pc", 2016, "lab1") for n in range(1, 4)],
    ("p-thpt", "admin-pc01", "admin_pc", 2017, ""),  # silent while its school reports -> watch
]
SILENT = {("p-fibre", "lab1-pc04"), ("p-none", "admin-pc01"), ("p-thpt", "admin-pc01")}


def equipment_csv() -> str:
    rows = ["school,device,kind,purchase_year,room"]
    rows += [f"{s},{d},{k},{y},{r}" for s, d, k, y, r in EQUIPMENT]
    return "\n".join(rows) + "\n"


def ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def tags(school: str, device: str, kind: str | None = None) -> str:
    out = (
        f"province=lao-cai,district={DISTRICT[school]},school={school},"
        f"level={LEVEL[school]},device={device}"
    )
    return out + (f",kind={kind}" if kind else "")


def readings() -> list[str]:
    lines = []
    uplinks = {"p-fibre": (1, 20.0, 0.1), "p-3g": (0, 200.0, 4.0), "p-thpt": (1, 30.0, 0.5)}
    for school, (fixed, rtt, loss) in uplinks.items():
        for t in SAMPLES:
            down = school == "p-fibre" and OUTAGE[0] <= t < OUTAGE[1]
            fields = (
                f'type="{"fibre" if fixed else "cellular"}",fixed={fixed}.0,'
                f"cellular={1 - fixed}.0,up={0 if down else 1}.0,failover=0.0,"
                + ("loss_percent=100.0" if down else f"rtt_ms={rtt},loss_percent={loss}")
            )
            lines.append(f"uplink,{tags(school, 'gw', 'gateway')} {fields} {ms(t)}")
    for school, device, kind, _, _ in EQUIPMENT:
        if school == "p-none" or (school, device) in SILENT:
            continue
        for seq, t in enumerate(SAMPLES[::36], start=1):  # every 6 hours
            lines.append(
                f"report,{tags(school, device, kind)} seq={seq}.0,interval_seconds=60.0 {ms(t)}"
            )
    # admin-pc02: three restarts ten minutes after a report (crashes), one after a night off
    uptime = 1000.0
    for i, t in enumerate(SAMPLES[-48:]):
        uptime = 60.0 if i in (5, 15, 25) else uptime + 600
        lines.append(
            f"system,{tags('p-fibre', 'admin-pc02', 'admin_pc')} uptime_seconds={uptime} {ms(t)}"
        )
    night = SAMPLES[-49] - timedelta(hours=8)
    lines.append(
        f"system,{tags('p-fibre', 'admin-pc02', 'admin_pc')} uptime_seconds=99999.0 {ms(night)}"
    )
    lines.append(
        f"disk,{tags('p-fibre', 'admin-pc02', 'admin_pc')},instance=C:/ used_percent=95.0 {ms(SAMPLES[-1])}"
    )
    lines.append(
        f"disk,{tags('p-fibre', 'admin-pc01', 'admin_pc')},instance=C:/ used_percent=40.0 {ms(SAMPLES[-1])}"
    )
    inventory = {
        ("p-fibre", f"lab1-pc0{n}"): 'bios_date="2005-06-01",ram_bytes=2147483648.0,cpu_bits=64.0,'
        "smart_failed_count=0.0"
        for n in range(1, 4)
    }  # pc04 never sent one
    inventory[("p-fibre", "admin-pc01")] = (
        'bios_date="2016-02-03",ram_bytes=8589934592.0,cpu_bits=64.0,'
        'disk0_smart="failed",disk1_smart="passed"'
    )
    inventory[("p-fibre", "admin-pc03")] = (
        'bios_date="2012-09-09",ram_bytes=1073741824.0,cpu_bits=32.0,smart_failed_count=0.0'
    )
    for n in range(1, 4):
        inventory[("p-thpt", f"lab1-pc0{n}")] = (
            'bios_date="2016-01-01",ram_bytes=4294967296.0,cpu_bits=64.0'
        )
    for (school, device), fields in inventory.items():
        kind = "lab_pc" if device.startswith("lab") else "admin_pc"
        lines.append(f"inventory,{tags(school, device, kind)} {fields} {ms(OLD_INVENTORY)}")
    for device, (error, lamp, rated) in {
        "proj-01": (1, 3100, 3000),
        "proj-02": (0, 500, 4000),
    }.items():
        lines.append(
            f"projector,{tags('p-fibre', device, 'projector')} power_on=0.0,error={error}.0,"
            f"lamp_hours={lamp}.0,lamp_rated_hours={rated}.0 {ms(SAMPLES[-1])}"
        )
    for i, t in enumerate(SAMPLES[-10:]):
        lines.append(f"board,{tags('p-fibre', 'board-01', 'board')} reachable={i % 2}.0 {ms(t)}")
    return lines


def expected_availability(school: str) -> float:
    """Oracle: share of the school's samples with the uplink up, Monday-Saturday 07-17 local."""
    hours = [
        t
        for t in SAMPLES
        if t >= NOW - timedelta(days=2)
        and t.astimezone(LOCAL).weekday() < 6
        and 7 <= t.astimezone(LOCAL).hour < 17
    ]
    up = [t for t in hours if not (school == "p-fibre" and OUTAGE[0] <= t < OUTAGE[1])]
    return 100.0 * len(up) / len(hours)


def build_province(
    tmp_path: Path, influxdb, database: str, registry_url: str | None = None, placed: bool = True
):
    """Registry (units, schools in their communes, equipment) and InfluxDB filled; returns
    (store, sessions, engine). ``registry_url``: another registry (a PostgreSQL database)
    instead of a SQLite file; ``placed=False``: no units, no communes (as the migration leaves
    a registry of before the reform)."""
    (tmp_path / "schools.csv").write_text(SCHOOLS_CSV, encoding="utf-8")
    (tmp_path / "equipment.csv").write_text(equipment_csv(), encoding="utf-8")
    engine = make_engine(registry_url or f"sqlite:///{tmp_path}/registry.sqlite3")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions() as session:
        assert not import_schools(session, tmp_path / "schools.csv").errors
        assert not import_equipment(session, tmp_path / "equipment.csv").errors
    if placed:
        place_in_communes(tmp_path, sessions)
    store = InfluxStore(InfluxConfig(url=influxdb.url, database=database)).connect()
    result = store.write(readings())
    assert not result.rejected, result.rejected[:3]
    return store, sessions, engine


def config_file(
    tmp_path: Path, influx_url: str, database: str, plans: list[Path] | None = None
) -> Path:
    """The collector's config for the province; ``plans``: its ``[planning] plans``."""
    path = tmp_path / "collector.toml"
    text = (
        f'[influx]\nurl = "{influx_url}"\ndatabase = "{database}"\n'
        f'[registry]\nurl = "sqlite:///{tmp_path}/registry.sqlite3"\n'
    )
    if plans is not None:
        text += "[planning]\nplans = [" + ", ".join(f'"{p}"' for p in plans) + "]\n"
    path.write_text(text, encoding="utf-8")
    return path


# --- the same province in today's units (issue 12) -------------------------------------------
# Merged Lào Cai: the old Lào Cai (d-one) and the old Yên Bái (d-two). Two communes; the
# preschool p-none has no commune yet ("chưa gán xã"); p-thpt is run by the Sở.
UNITS_CSV = (
    "code,name,type,parent,valid_from,valid_to\n"
    "lao-cai,Tỉnh Lào Cai,tinh,,2025-07-01,\n"
    "lao-cai-cu,Tỉnh Lào Cai (cũ),tinh_cu,lao-cai,,2025-06-30\n"
    "yen-bai-cu,Tỉnh Yên Bái (cũ),tinh_cu,lao-cai,,2025-06-30\n"
    "d-one,Huyện Một,huyen,lao-cai-cu,,2025-06-30\n"
    "d-two,Huyện Hai,huyen,yen-bai-cu,,2025-06-30\n"
    "c-mot,Xã Một,xa,lao-cai,2025-07-01,\n"
    "c-hai,Phường Hai,phuong,lao-cai,2025-07-01,\n"
)
PLACED_SCHOOLS_CSV = """id,name,province,district,level,district_name,students,commune,legacy_province
p-fibre,Trường THCS Cáp Quang,lao-cai,d-one,thcs,Huyện Một,300,c-mot,lao-cai-cu
p-3g,Trường Tiểu học Dcom,lao-cai,d-one,tieu_hoc,Huyện Một,200,c-mot,lao-cai-cu
p-none,Trường Mầm non Bản Xa,lao-cai,d-two,mam_non,Huyện Hai,80,,yen-bai-cu
p-thpt,Trường THPT Trung Tâm,lao-cai,d-two,thpt,Huyện Hai,900,c-hai,yen-bai-cu
"""
PLAN_YEN_BAI = """format: 1
plan: {id: yen-bai-2020, name: "Kế hoạch Yên Bái 2020", area: yen-bai-cu}
targets:
  internet: {milestones: {2025: 80}, unit: percent, source: "Yên Bái 2020"}
"""
PLAN_LAO_CAI = """format: 1
plan: {id: lao-cai-2018, name: "Kế hoạch Lào Cai 2018", area: lao-cai-cu}
targets:
  internet: {milestones: {2025: 100}, unit: percent, source: "Lào Cai 2018"}
"""
PLAN_PROVINCE = """format: 1
plan: {id: lao-cai-2026, name: "Kế hoạch tỉnh Lào Cai 2026", area: lao-cai}
targets:
  internet: {milestones: {2030: 100}, unit: percent, source: "Lào Cai 2026"}
"""


def place_in_communes(tmp_path: Path, sessions) -> None:
    """Import the units and the school file with its commune and legacy-province columns."""
    from schoolnet_collector.registry.unit_import import apply_units, plan_units

    (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
    (tmp_path / "placed.csv").write_text(PLACED_SCHOOLS_CSV, encoding="utf-8")
    with sessions() as session:
        plan = plan_units(session, tmp_path / "units.csv")
        assert not plan.errors, plan.errors
        apply_units(session, plan)
        result = import_schools(session, tmp_path / "placed.csv")
        assert not result.errors, result.errors


def plan_files(tmp_path: Path, *texts: str) -> list[Path]:
    """Each text as a plan file ``plan-<i>.yaml`` in ``tmp_path``, in order."""
    out = []
    for i, text in enumerate(texts):
        path = tmp_path / f"plan-{i}.yaml"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out
