"""Collector start-up against real services: it starts while InfluxDB is down (the spool takes
the load, /health says degraded, the spool drains when InfluxDB comes up), and collectors
started together on a fresh registry (SQLite or PostgreSQL) take turns migrating it and
importing the school file instead of crashing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from devenv.services import InfluxDB1
from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.app import create_app
from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.schools import import_schools
from schoolnet_collector.runtime import Runtime
from schoolnet_collector.storage.influx import InfluxStore
from tests.support.backends import REGISTRY_BACKENDS
from tests.support.collector import (
    bearer,
    collector_settings,
    device_client,
    make_token,
    wait_until,
)
from tests.support.paths import ROOT as ROOT_DIR

BIN = Path(sys.executable).parent
T0 = 1_764_000_000_000
TOPIC = "schoolnet/v1/lc-test-01/pc-01/telemetry"
MIGRATIONS = ROOT_DIR / "collector/schoolnet_collector/migrations/versions"


def report(seq: int) -> bytes:
    return encode(
        build_report(
            "lc-test-01",
            "pc-01",
            "lab_pc",
            seq,
            [Sample("cpu", {"usage_percent": 10.0 + seq % 7})],
            ts_ms=T0 + seq * 1000,
            interval=60,
        )
    )


def stored_seqs(store: InfluxStore) -> list[int]:
    try:
        return sorted(int(r["seq"]) for r in store.rows('SELECT seq FROM "report"'))
    except Exception:  # the database does not exist yet: nothing stored
        return []


# -- InfluxDB down at start -------------------------------------------------------------------


def test_collector_starts_with_influxdb_down_spools_acks_and_drains_when_it_comes_up(
    tmp_path, fresh_mosquitto
):
    """No InfluxDB at start: the collector starts at once, reports are spooled and
    acknowledged, /health is 503 naming InfluxDB; InfluxDB started later gets every report
    once (its database created by the collector's first successful ping) and /health is 200."""
    influx = InfluxDB1(tmp_path / "influx")  # a port of its own, not started yet
    settings = collector_settings(tmp_path, fresh_mosquitto, influx, "late", influx={"timeout": 1})
    started = time.monotonic()
    rt = Runtime.open(settings)
    gw = device_client(fresh_mosquitto, "lc-test-01", "gw-secret-01")
    try:
        assert rt.connect_store() is False
        assert rt.store.connected is False
        rt.start_ingest()
        assert wait_until(lambda: rt.ingest.subscriber.connected), "collector did not subscribe"
        assert time.monotonic() - started < 10, "the start waited for InfluxDB"
        api = TestClient(create_app(rt), headers=bearer(make_token(rt)))
        down = api.get("/health")
        assert down.status_code == 503
        assert down.json()["status"] == "degraded" and not down.json()["influxdb"]["ok"]
        assert down.json()["broker"]["ok"] and down.json()["registry"]["ok"]

        n = 300
        for info in [gw.publish(TOPIC, report(seq), qos=1) for seq in range(1, n + 1)]:
            info.wait_for_publish(10)
        # Every report acknowledged while InfluxDB has never answered: they are in the spool.
        assert wait_until(lambda: rt.ingest.acks.acked == n, timeout=20), rt.ingest.snapshot()
        assert rt.ingest.spool.lines >= n and rt.ingest.stats["lines_written"] == 0
        assert rt.ingest.last_write_error and "unreachable" in rt.ingest.last_write_error
        assert rt.store.connected is False

        influx.start()  # no database made for it: the collector's connect creates "late"
        store = InfluxStore(settings.influx)
        assert wait_until(
            lambda: stored_seqs(store) == list(range(1, n + 1)), timeout=30, interval=0.3
        ), f"{len(stored_seqs(store))} of {n} stored"
        assert wait_until(lambda: not rt.ingest.spool, timeout=10)
        assert rt.store.connected and rt.store.api == "v1"
        assert wait_until(lambda: api.get("/health").status_code == 200, timeout=10)
        assert rt.ingest.acks.owed == 0 and rt.ingest.acks.acked == n
        assert stored_seqs(store) == list(range(1, n + 1))  # once each, nothing doubled
    finally:
        gw.loop_stop()
        rt.close()
        influx.stop()


# -- collectors started together on a fresh registry ------------------------------------------


def collector_config(tmp_path: Path, broker, influxdb, registry_url: str, name: str) -> Path:
    conf = tmp_path / f"{name}.toml"
    conf.write_text(
        f'[mqtt]\nport = {broker.port}\npassword = "collector-secret"\n'
        f'client_id = "start-{tmp_path.name}"\nshare_group = "g-{tmp_path.name}"\n'
        f'[influx]\nurl = "{influxdb.url}"\ndatabase = "startup"\nflush_interval = 0.1\n'
        f'[registry]\nurl = "{registry_url}"\nschools_file = "{schools_file(tmp_path)}"\n'
        f'[ingest]\ndata_dir = "{tmp_path}/data-{name}"\n'
        "[notify]\nenabled = false\n"
    )
    return conf


def schools_file(tmp_path: Path) -> Path:
    """A province-sized school file, so the imports of both collectors overlap."""
    path = tmp_path / "schools.csv"
    if not path.exists():
        rows = ["id,name,province,district,level"]
        rows += [f"lc-start-{i:03d},Trường {i},lao-cai,bat-xat,thcs" for i in range(646)]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def start_together(tmp_path: Path, broker, influxdb, registry_url: str, count: int = 3):
    """``count`` ``schoolnet-collector run --no-api`` processes launched at the same moment."""
    procs = []
    for i in range(count):
        conf = collector_config(tmp_path, broker, influxdb, registry_url, f"c{i}")
        log = open(tmp_path / f"c{i}.log", "wb")
        procs.append(
            subprocess.Popen(
                [
                    BIN / "schoolnet-collector",
                    "run",
                    "--no-api",
                    "--instance",
                    f"c{i}",
                    "--config",
                    conf,
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    return procs


def logs(tmp_path: Path, count: int) -> list[str]:
    return [(tmp_path / f"c{i}.log").read_text(errors="replace") for i in range(count)]


def check_started_together(tmp_path, broker, influxdb, registry_url: str) -> None:
    count = 3
    procs = start_together(tmp_path, broker, influxdb, registry_url, count)
    try:
        assert wait_until(
            lambda: (
                all("subscribed" in out for out in logs(tmp_path, count))
                or any(p.poll() is not None for p in procs)
            ),
            timeout=90,
            interval=0.3,
        )
        exited = [(i, p.poll()) for i, p in enumerate(procs) if p.poll() is not None]
        assert not exited, f"collectors exited {exited}:\n" + "\n---\n".join(logs(tmp_path, count))
        for out in logs(tmp_path, count):
            assert "Traceback" not in out and "imported 646 schools" in out, out
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    assert [p.returncode for p in procs] == [0] * count, "\n---\n".join(logs(tmp_path, count))
    engine = create_engine(registry_url)
    try:
        with engine.connect() as conn:
            heads = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
            schools = conn.execute(select(func.count()).select_from(School)).scalar_one()
    finally:
        engine.dispose()
    assert heads == [newest_revision()]
    assert schools == 646


def newest_revision() -> str:
    return sorted(p.stem.split("_")[0] for p in MIGRATIONS.glob("0*.py"))[-1]


def test_collectors_started_together_on_a_fresh_sqlite_registry_all_run(
    tmp_path, mosquitto, influxdb
):
    registry = tmp_path / "registry.sqlite3"
    check_started_together(tmp_path, mosquitto, influxdb, f"sqlite:///{registry}")


def test_collectors_started_together_on_a_fresh_postgresql_registry_all_run(
    tmp_path, mosquitto, influxdb, postgresql_url
):
    check_started_together(tmp_path, mosquitto, influxdb, postgresql_url)


@pytest.mark.parametrize("backend", REGISTRY_BACKENDS)
def test_school_import_is_an_upsert_that_keeps_other_columns(tmp_path, backend, request):
    """Importing over existing schools updates the file's columns and adds the new rows;
    a bad row is named and skipped, the good ones kept."""
    url = (
        request.getfixturevalue("postgresql_url")
        if backend == "postgresql"
        else f"sqlite:///{tmp_path}/registry.sqlite3"
    )
    engine = make_engine(url)
    migrate(engine)
    sessions = session_factory(engine)
    first = tmp_path / "first.csv"
    first.write_text(
        "id,name,province,district,level,students\n"
        "lc-a,Trường A,lao-cai,bat-xat,thcs,300\n"
        "lc-b,Trường B,lao-cai,sa-pa,tieu_hoc,\n",
        encoding="utf-8",
    )
    second = tmp_path / "second.csv"
    second.write_text(
        "id,name,province,district,level,students\n"
        "lc-a,Trường A mới,lao-cai,bat-xat,thpt,\n"
        "lc-c,Trường C,lao-cai,sa-pa,mam_non,90\n"
        "Bad Id,Trường D,lao-cai,sa-pa,thcs,\n",
        encoding="utf-8",
    )
    try:
        with sessions() as session:
            assert import_schools(session, first).imported == 2
            session.get(School, "lc-a")  # loaded before the second import: must not go stale
            result = import_schools(session, second)
            assert result.imported == 2
            assert result.errors == [
                "second.csv:4: id 'Bad Id' must be lowercase letters, digits, '-' or '_' (max 63)"
            ]
            a = session.get(School, "lc-a")
            assert (a.name, a.level, a.students) == ("Trường A mới", "thpt", None)
            rows = {s.id: (s.district, s.students) for s in session.scalars(select(School))}
        assert rows == {"lc-a": ("bat-xat", None), "lc-b": ("sa-pa", None), "lc-c": ("sa-pa", 90)}
    finally:
        engine.dispose()


# -- the units file, imported at start before the school file ---------------------------------


def _two_tier_files(tmp_path: Path) -> tuple[Path, Path]:
    from schoolnet_collector.simulator.__main__ import main as simulate

    units, schools = tmp_path / "units.csv", tmp_path / "schools.csv"
    argv = ["--profile", "lao-cai-yen-bai-2025", "--scale", "0.05", "--no-publish"]
    assert simulate([*argv, "--export-units", str(units), "--export-schools", str(schools)]) == 0
    return units, schools


def _settings(url: str, units: Path, schools: Path):
    from schoolnet_collector.core.config import load_settings

    return load_settings(
        None,
        registry={"url": url, "units_file": str(units), "schools_file": str(schools)},
        alerting={"enabled": False},
    )


def _url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return request.getfixturevalue("postgresql_url")


@pytest.fixture(params=REGISTRY_BACKENDS)
def start_registry(request, tmp_path):
    return _url(request, tmp_path)


def test_the_units_file_is_imported_before_the_school_file(tmp_path, start_registry):
    from schoolnet_collector.registry.models import Unit

    units, schools = _two_tier_files(tmp_path)
    for _ in range(2):  # a restart finds the units there and changes nothing
        rt = Runtime.open(_settings(start_registry, units, schools))
        try:
            with rt.sessions() as s:
                placed = s.scalars(select(School)).all()
                assert placed and all(x.commune for x in placed)
                assert {x.legacy_province for x in placed} == {"lao-cai-cu", "yen-bai-cu"}
                assert s.scalar(select(func.count(Unit.code))) == 139
        finally:
            rt.close()


def test_a_wrong_units_file_stops_the_start_and_writes_nothing(tmp_path, start_registry):
    from schoolnet_collector.registry.models import Unit
    from schoolnet_collector.registry.schools import SchoolFileError

    units, schools = _two_tier_files(tmp_path)
    lines = units.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(",huyen,", ",quan,")
    units.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SchoolFileError) as caught:
        Runtime.open(_settings(start_registry, units, schools))
    assert "units.csv:6: type: 'quan' is not one of" in str(caught.value)
    assert "nothing imported, 1 rows wrong" in str(caught.value)
    with pytest.raises(SchoolFileError, match=r"units file: .*missing\.csv"):
        Runtime.open(_settings(start_registry, tmp_path / "missing.csv", schools))
    engine = make_engine(start_registry)
    try:
        with session_factory(engine)() as s:
            assert s.scalar(select(func.count(Unit.code))) == 0
            assert s.scalar(select(func.count(School.id))) == 0
    finally:
        engine.dispose()
