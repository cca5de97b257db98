"""Sites of units in the school file (``registry.sites``), on SQLite and PostgreSQL: a row with
``site_of`` is a site of the province or of a commune, stored in ``schools`` with its unit;
every wrong site row names its row, column and reason and nothing of the file is written; the
column may be headed in Vietnamese."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from devenv.services import Mosquitto, MqttAccount
from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.alerting.evaluator import Evaluator
from schoolnet_collector.alerting.rulefile import parse_rules
from schoolnet_collector.app import create_app
from schoolnet_collector.registry.alerting_models import DeviceReading, Incident
from schoolnet_collector.registry.db import session_factory
from schoolnet_collector.registry.models import Device, School
from schoolnet_collector.registry.schools import SchoolFileError, import_schools
from schoolnet_collector.registry.sites import schools_only
from schoolnet_collector.registry.unit_import import apply_units, plan_units
from schoolnet_collector.registry.units import unassigned_schools
from tests.support.accounts import COLLECTOR
from tests.support.alerting import Recorder, rules_with
from tests.support.collector import (
    bearer,
    collector_settings,
    device_client,
    make_token,
    running_collector,
    wait_until,
)
from tests.support.units import UNITS_CSV

SITE = "so-gddt-lab"
HEAD = "id,name,province,district,level,site_of\n"
GOOD = (
    "lc-th-01,TH Bát Xát,lao-cai,bat-xat,tieu_hoc,\n"
    "so-gddt-lab,Phòng máy Sở GDĐT,lao-cai,lao-cai,other,lao-cai\n"
    "ubnd-bat-xat,UBND xã Bát Xát,lao-cai,bat-xat,,08044\n"
)


def unknown(code: str) -> str:
    return (
        f"site_of: {code!r} is not a province or commune in the registry nor the configured "
        "province 'lao-cai' (run 'units import' first)"
    )


def _import(engine, tmp_path, text, units=True, province="lao-cai", name="schools.csv"):
    with session_factory(engine)() as s:
        if units:
            (tmp_path / "units.csv").write_text(UNITS_CSV, encoding="utf-8")
            apply_units(s, plan_units(s, tmp_path / "units.csv"))
        (tmp_path / name).write_text(text, encoding="utf-8")
        return import_schools(s, tmp_path / name, province)


def _rows(engine):
    with session_factory(engine)() as s:
        return {
            x.id: (x.level, x.site_of, x.commune, x.managing_body_override)
            for x in s.scalars(select(School))
        }


def test_sites_of_the_province_and_of_a_commune_are_stored_with_their_unit(engine, tmp_path):
    result = _import(engine, tmp_path, HEAD + GOOD)
    assert (result.imported, result.sites, result.errors, result.all_or_nothing) == (
        3,
        2,
        [],
        True,
    )
    assert _rows(engine) == {
        "lc-th-01": ("tieu_hoc", None, None, None),
        "so-gddt-lab": ("other", "lao-cai", None, None),
        # a commune's office is placed in its commune, so the commune's people see it
        "ubnd-bat-xat": ("other", "08044", "08044", None),
    }
    with session_factory(engine)() as s:
        assert list(s.scalars(select(School.id).where(schools_only()))) == ["lc-th-01"]
        assert unassigned_schools(s) == 1  # the Sở's lab waits for no commune


def test_the_configured_province_is_a_unit_without_a_units_file(engine, tmp_path):
    text = HEAD + "so-gddt-lab,Phòng máy Sở GDĐT,lao-cai,lao-cai,other,lao-cai\n"
    assert _import(engine, tmp_path, text, units=False).errors == []
    assert _rows(engine)["so-gddt-lab"][1] == "lao-cai"
    # another province's id is not this collector's province, nor in the registry
    refused = _import(engine, tmp_path, text.replace(",lao-cai\n", ",ha-giang\n"), units=False)
    assert refused.errors == [f"schools.csv:2: {unknown('ha-giang')}"]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (
            "x-site,X,lao-cai,bat-xat,other,ha-noi",
            unknown("ha-noi"),
        ),
        (  # a former district is a unit, but offices belong to today's units
            "x-site,X,lao-cai,bat-xat,other,bat-xat",
            unknown("bat-xat"),
        ),
        (
            "x-site,X,lao-cai,bat-xat,other,Lào Cai",
            "site_of: 'Lào Cai' is not a unit code (lowercase letters, digits, '-', '_')",
        ),
        (
            "x-site,X,lao-cai,bat-xat,other,=HYPERLINK(1)",
            "site_of: '=HYPERLINK(1)' is not a unit code (lowercase letters, digits, '-', '_')",
        ),
        (
            "x-site,X,lao-cai,bat-xat,other," + "a" * 64,
            f"site_of: {'a' * 64!r} is not a unit code (lowercase letters, digits, '-', '_')",
        ),
        (
            "x-site,X,lao-cai,bat-xat,thcs,lao-cai",
            "level: a site of a unit has no school level ('thcs'); leave it empty or write other",
        ),
        ("x-site,X,lao-cai,,other,lao-cai", "district is empty"),
    ],
)
def test_a_wrong_site_row_is_named_and_nothing_is_written(engine, tmp_path, row, problem):
    result = _import(engine, tmp_path, HEAD + GOOD + row + "\n")
    assert result.errors == [f"schools.csv:5: {problem}"]
    assert result.imported == 0 and _rows(engine) == {}


def test_a_site_has_no_managing_body_and_only_its_own_commune(engine, tmp_path):
    head = "id,name,province,district,level,commune,managing_body,site_of\n"
    good = "lc-th-01,TH Bát Xát,lao-cai,bat-xat,tieu_hoc,08044,,\n"
    _import(engine, tmp_path, head + good)
    before = _rows(engine)
    result = _import(
        engine,
        tmp_path,
        head
        + good
        + "so-gddt-lab,Phòng máy Sở,lao-cai,lao-cai,other,,province,lao-cai\n"
        + "ubnd-08044,UBND xã,lao-cai,bat-xat,,08050,,08044\n"
        + "ubnd-08050,UBND phường,lao-cai,sa-pa,,08050,,08050\n",
    )
    assert result.errors == [
        "schools.csv:3: managing_body: a site of a unit is not run as a school; leave it empty",
        "schools.csv:4: commune: a site of '08044' cannot be in commune '08050'; leave it empty",
    ]
    assert _rows(engine) == before  # the good rows of a refused file are not written either


def test_a_site_becomes_a_school_again_only_when_a_file_says_so(engine, tmp_path):
    _import(engine, tmp_path, HEAD + GOOD)
    old_kind = "id,name,province,district,level\nso-gddt-lab,Phòng máy,lao-cai,lao-cai,other\n"
    _import(engine, tmp_path, old_kind)
    assert _rows(engine)["so-gddt-lab"][1] == "lao-cai"  # a file without the column keeps it
    _import(engine, tmp_path, HEAD + "so-gddt-lab,Phòng máy,lao-cai,lao-cai,other,\n")
    assert _rows(engine)["so-gddt-lab"][1] is None


def test_the_column_may_be_headed_in_vietnamese(engine, tmp_path):
    text = HEAD.replace("site_of", "Thuộc đơn vị ") + GOOD
    result = _import(engine, tmp_path, text)
    assert (result.errors, result.sites) == ([], 2)
    assert _rows(engine)["ubnd-bat-xat"][1] == "08044"
    yaml_rows = "- {id: x-site, name: X, province: lao-cai, district: lao-cai, site_of: lao-cai}\n"
    assert _import(engine, tmp_path, yaml_rows, name="schools.yaml").errors == []
    assert _rows(engine)["x-site"][:2] == ("other", "lao-cai")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("[lao-cai]", "site_of: \"['lao-cai']\" is not a unit code"),
        ("{code: lao-cai}", "site_of: \"{'code': 'lao-cai'}\" is not a unit code"),
        ("true", "site_of: 'True' is not a unit code"),
        ("8044", None),  # a commune code typed as a number is a wrong code, not a crash
    ],
)
def test_a_yaml_site_that_is_not_a_code_is_named(engine, tmp_path, value, problem):
    rows = (
        "- {id: lc-th-01, name: TH, province: lao-cai, district: bat-xat, level: tieu_hoc}\n"
        f"- {{id: x-site, name: X, province: lao-cai, district: lao-cai, site_of: {value}}}\n"
    )
    result = _import(engine, tmp_path, rows, name="schools.yaml")
    assert len(result.errors) == 1 and result.errors[0].startswith("schools.yaml:2: site_of: ")
    if problem is not None:
        assert problem in result.errors[0]
    assert _rows(engine) == {}


def test_a_header_naming_the_column_twice_refuses_the_file(engine, tmp_path):
    text = (
        "id,name,province,district,level,site_of,Thuộc đơn vị\n"
        "so-gddt-lab,Phòng máy,lao-cai,lao-cai,other,lao-cai,lao-cai\n"
    )
    with pytest.raises(SchoolFileError, match="the header names site_of twice"):
        _import(engine, tmp_path, text)
    assert _rows(engine) == {}


# --- a site is monitored like a school -------------------------------------------------------
SITE_PC = MqttAccount(f"{SITE}/pc-01", "site-pc-secret")
SITE_SCHOOLS = (
    "id,name,province,district,level,district_name,site_of\n"
    "lc-test-01,Trường THCS Thử Nghiệm 1,lao-cai,bat-xat,thcs,Bát Xát,\n"
    f"{SITE},Phòng máy Sở GDĐT,lao-cai,lao-cai,other,,lao-cai\n"
)


def test_a_sites_reports_become_devices_incidents_and_its_own_tokens_pages(
    tmp_path, influxdb, influx_db_name
):
    broker = Mosquitto(
        tmp_path / "mosquitto",
        [COLLECTOR, SITE_PC, MqttAccount("lc-test-01/pc-01", "pc-secret-01")],
        collectors=(COLLECTOR.username,),
    ).start()
    try:
        settings = collector_settings(tmp_path, broker, influxdb, influx_db_name)
        (tmp_path / "schools.csv").write_text(SITE_SCHOOLS, encoding="utf-8")
        with running_collector(settings) as rt:
            pc = device_client(broker, SITE_PC.username, SITE_PC.password)
            # the broker's ACL holds for a site as for a school: not under another school's id
            other = build_report("lc-test-01", "pc-01", "lab_pc", 1, [])
            pc.publish("schoolnet/v1/lc-test-01/pc-01/telemetry", encode(other), qos=1)
            report = build_report(
                SITE,
                "pc-01",
                "admin_pc",
                1,
                [Sample("disk", {"used_percent": 97.0}, instance="C:")],
            )
            topic = f"schoolnet/v1/{SITE}/pc-01/telemetry"
            pc.publish(topic, encode(report), qos=1).wait_for_publish(5)

            def devices():
                with rt.sessions() as s:
                    return [(d.school_id, d.device_id) for d in s.scalars(select(Device))]

            def readings():
                with rt.sessions() as s:
                    rt.readings.flush(s)
                    return [(r.school_id, r.name) for r in s.scalars(select(DeviceReading))]

            assert wait_until(lambda: devices() == [(SITE, "pc-01")]), devices()
            assert wait_until(lambda: readings() == [(SITE, "disk.used_percent:C:")]), readings()
            pc.disconnect()
            pc.loop_stop()
            opened = (
                Evaluator(
                    rt.sessions,
                    parse_rules(
                        rules_with(
                            (
                                "for_minutes: 15\n    clear_minutes: 15\n    threshold: 90",
                                "for_minutes: 0\n    clear_minutes: 15\n    threshold: 90",
                            )
                        )
                    ),
                    clock=lambda: datetime.now(timezone.utc),
                    enqueue=Recorder(),
                )
                .evaluate()
                .opened
            )
            assert f"disk_full:{SITE}/pc-01" in opened, opened
            with rt.sessions() as s:
                incident = s.scalars(select(Incident).where(Incident.school_id == SITE)).one()
                assert incident.rule == "disk_full"
            with TestClient(create_app(rt)) as client:
                own = bearer(make_token(rt, scope=f"school:{SITE}"))
                page = client.get(f"/api/v1/schools/{SITE}/devices", headers=own)
                assert [d["id"] for d in page.json()] == ["pc-01"], page.text
                one = client.get(f"/api/v1/schools/{SITE}", headers=own).json()
                assert (one["site_of"], one["devices"]) == ("lao-cai", 1)
                listed = client.get("/api/v1/incidents", headers=own).json()
                assert [i["rule"] for i in listed["items"]] == ["disk_full"]
                report = client.get("/api/v1/reports/readiness", headers=own)
                assert report.status_code == 422, report.text
                assert f"{SITE!r} is a site of 'lao-cai', not a school" in report.json()["detail"]
                # the site's token sees no school: no commune counts, no school of others
                assert client.get("/api/v1/communes", headers=own).json() == []
                refused = client.get("/api/v1/schools/lc-test-01", headers=own)
                assert refused.status_code == 404  # outside its scope, as for a school token
                province = bearer(make_token(rt))
                schools = client.get("/api/v1/schools", headers=province).json()
                assert [(s["id"], s["site_of"]) for s in schools["items"]] == [
                    ("lc-test-01", None),
                    (SITE, "lao-cai"),
                ]
                communes = client.get("/api/v1/communes", headers=province).json()
                assert [(c["id"], c["schools"], c["devices"]) for c in communes] == [
                    ("unassigned", 1, 0)
                ]
                districts = client.get("/api/v1/districts", headers=province).json()
                assert [(d["id"], d["schools"]) for d in districts] == [("bat-xat", 1)]
    finally:
        broker.stop()
