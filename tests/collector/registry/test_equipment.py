"""The planning data in the registry: enrolment from the school file, purchase years and lab
rooms from the Sở's equipment file (``devices import``), migration 0004 up and down."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, select

from schoolnet_collector.cli import main as cli
from schoolnet_collector.registry.db import MIGRATIONS, make_engine, migrate, session_factory
from schoolnet_collector.registry.devices import is_online
from schoolnet_collector.registry.equipment import NEVER_HEARD
from schoolnet_collector.registry.models import Device, School
from tests.support.planning import SCHOOLS_CSV, equipment_csv


def setup(tmp_path, schools=SCHOOLS_CSV, equipment=None):
    (tmp_path / "schools.csv").write_text(schools, encoding="utf-8")
    (tmp_path / "equipment.csv").write_text(equipment or equipment_csv(), encoding="utf-8")
    config = tmp_path / "c.toml"
    config.write_text(f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n', encoding="utf-8")
    return config


def registry(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/r.sqlite3")
    return engine, session_factory(engine)()


def test_enrolment_and_equipment_are_imported(tmp_path, capsys):
    config = setup(tmp_path)
    assert cli(["schools", "import", "--config", str(config), str(tmp_path / "schools.csv")]) == 0
    assert cli(["devices", "import", "--config", str(config), str(tmp_path / "equipment.csv")]) == 0
    assert "imported 20 devices (20 not heard from yet, 0 rows skipped)" in capsys.readouterr().out
    engine, session = registry(tmp_path)
    assert session.get(School, "p-thpt").students == 900
    pc = session.get(Device, ("p-fibre", "lab1-pc01"))
    assert (pc.kind, pc.purchase_year, pc.room) == ("lab_pc", 2005, "lab1")
    assert pc.first_seen.year == NEVER_HEARD.year and not is_online(
        pc, NEVER_HEARD.replace(year=2026), 3
    )
    assert session.get(Device, ("p-fibre", "admin-pc01")).room is None
    session.close()
    engine.dispose()


def test_reimport_updates_a_device_heard_from_without_touching_what_it_reported(tmp_path, capsys):
    config = setup(tmp_path)
    cli(["schools", "import", "--config", str(config), str(tmp_path / "schools.csv")])
    cli(["devices", "import", "--config", str(config), str(tmp_path / "equipment.csv")])
    engine, session = registry(tmp_path)
    pc = session.get(Device, ("p-3g", "lab1-pc01"))
    pc.last_seq = 41
    session.commit()
    (tmp_path / "fix.csv").write_text(
        "school,device,kind,purchase_year,room\np-3g,lab1-pc01,lab_pc,2013,lab2\n", encoding="utf-8"
    )
    assert cli(["devices", "import", "--config", str(config), str(tmp_path / "fix.csv")]) == 0
    session.expire_all()
    pc = session.get(Device, ("p-3g", "lab1-pc01"))
    assert (pc.purchase_year, pc.room, pc.last_seq) == (2013, "lab2", 41)
    session.close()
    engine.dispose()


def test_bad_rows_are_named_by_line_and_good_rows_kept(tmp_path, capsys):
    bad = (
        "school,device,kind,purchase_year,room\n"
        "p-fibre,pc-ok,lab_pc,2015,lab1\n"
        "p-nowhere,pc-1,lab_pc,2015,\n"
        "p-fibre,PC 2,lab_pc,2015,\n"
        "p-fibre,pc-3,toaster,2015,\n"
        "p-fibre,pc-4,lab_pc,15,\n"
        "p-fibre,pc-ok,lab_pc,2016,\n"
        "p-fibre,,lab_pc,2016,\n"
    )
    config = setup(tmp_path, equipment=bad)
    cli(["schools", "import", "--config", str(config), str(tmp_path / "schools.csv")])
    assert cli(["devices", "import", "--config", str(config), str(tmp_path / "equipment.csv")]) == 1
    err = capsys.readouterr().err
    for expected in (
        "equipment.csv:3: school 'p-nowhere' is not in the registry",
        "equipment.csv:4: device 'PC 2' must be an id",
        "equipment.csv:5: kind 'toaster' is not one of",
        "equipment.csv:6: purchase_year '15' must be a year between 1980 and 2100",
        "equipment.csv:7: device p-fibre/pc-ok appears twice",
        "equipment.csv:8: device is empty",
    ):
        assert expected in err
    engine, session = registry(tmp_path)
    assert [d.device_id for d in session.scalars(select(Device))] == ["pc-ok"]
    session.close()
    engine.dispose()


def test_an_unreadable_equipment_file_exits_2(tmp_path, capsys):
    config = setup(tmp_path)
    (tmp_path / "e.xlsx").write_bytes(b"PK")
    assert cli(["devices", "import", "--config", str(config), str(tmp_path / "e.xlsx")]) == 2
    assert "must be CSV" in capsys.readouterr().err
    (tmp_path / "h.csv").write_text("school,device\np,d\n", encoding="utf-8")
    assert cli(["devices", "import", "--config", str(config), str(tmp_path / "h.csv")]) == 2
    assert "header lacks column(s) kind" in capsys.readouterr().err


def test_a_bad_enrolment_is_refused_for_that_row_only(tmp_path, capsys):
    schools = SCHOOLS_CSV.replace(",thcs,Huyện Một,300", ",thcs,Huyện Một,many")
    config = setup(tmp_path, schools=schools)
    assert cli(["schools", "import", "--config", str(config), str(tmp_path / "schools.csv")]) == 1
    assert "students 'many' must be a whole number >= 0" in capsys.readouterr().err
    engine, session = registry(tmp_path)
    assert session.get(School, "p-fibre") is None and session.get(School, "p-3g").students == 200
    session.close()
    engine.dispose()


def test_migration_0004_goes_down_and_up_keeping_the_devices(tmp_path):
    config = setup(tmp_path)
    cli(["schools", "import", "--config", str(config), str(tmp_path / "schools.csv")])
    cli(["devices", "import", "--config", str(config), str(tmp_path / "equipment.csv")])
    engine = make_engine(f"sqlite:///{tmp_path}/r.sqlite3")
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0003")
    columns = {c["name"] for c in inspect(engine).get_columns("devices")}
    assert "purchase_year" not in columns and "room" not in columns
    assert "students" not in {c["name"] for c in inspect(engine).get_columns("schools")}
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM devices").scalar() == 20
    migrate(engine)
    assert "purchase_year" in {c["name"] for c in inspect(engine).get_columns("devices")}
    engine.dispose()
