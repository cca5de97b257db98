"""Issue 6, item 5: the simulated Lào Cai 2018 fleet, published in full (scale 1) through
simulator → Mosquitto → collector → InfluxDB, then the planners' reports from the command line.

Readiness must show the province's own figures (640 of 646 schools with internet, 87 on a USB
3G modem, 6 without; computer labs by level as in the February 2018 inventory), and the
replacement plan must flag exactly the 226 lab rooms supplied before 2010.

The Sở's own lab is registered beside them as the demo registers it (a site of the province,
``devenv.demo.add_local_site``) and reports online over the broker: the figures stay the
province's (issue 12, item 8: offices are not schools).
"""

from __future__ import annotations

import json

import pytest

from devenv.demo import LOCAL_SCHOOL as LAB, add_local_site
from devenv.services import Mosquitto, MqttAccount
from schoolnet_agent.protocol import Sample, build_report, encode
from schoolnet_collector.cli import main as cli
from schoolnet_collector.simulator.__main__ import main as simulate
from schoolnet_collector.simulator.fleet import generate_fleet
from schoolnet_collector.simulator.profile_file import load_profile
from tests.support.collector import (
    collector_settings,
    device_client,
    running_collector,
    wait_until,
)

pytestmark = pytest.mark.timeout(600)

SEED = 3
LAB_GATEWAY = MqttAccount(LAB, "lab-gw-secret")
# Lào Cai, February 2018: schools with a computer lab, by level (DOMAIN brief).
LABS_BY_LEVEL = {"mam_non": 60, "tieu_hoc": 151, "thcs": 175, "thpt": 36, "gdtx": 10}


def working_labs_expected(fleet, min_pcs: int) -> dict[str, int]:
    """From the fleet model: schools whose lab PCs can report (school online, PC not broken)."""
    out = dict.fromkeys(LABS_BY_LEVEL, 0)
    for s in fleet:
        working = (
            sum(1 for d in s.devices if d.kind == "lab_pc" and not d.broken) if s.online else 0
        )
        out[s.level] += working >= min_pcs
    return out


def indicator(group: dict, key: str) -> dict:
    return next(i for i in group["indicators"] if i["key"] == key)


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """A broker of this module's own: the fleet's retained messages (availability, inventory
    of 15,000 devices) must not reach other tests, nor theirs this collector."""
    from tests.support.accounts import COLLECTOR, DEVICE_ACCOUNTS, SIMULATOR

    server = Mosquitto(
        tmp_path_factory.mktemp("laocai-broker"),
        [COLLECTOR, SIMULATOR, LAB_GATEWAY, *DEVICE_ACCOUNTS],
        collectors=(COLLECTOR.username,),
        simulators=(SIMULATOR.username,),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def published(tmp_path_factory, broker, influxdb):
    """The whole fleet published once; returns the collector config for the reports."""
    from tests.support.accounts import SIMULATOR

    mosquitto = broker
    tmp = tmp_path_factory.mktemp("laocai")
    schools, devices = tmp / "fleet-schools.csv", tmp / "fleet-devices.csv"
    assert (
        simulate(
            [
                "--scale",
                "1",
                "--seed",
                str(SEED),
                "--no-publish",
                "--export-schools",
                str(schools),
                "--export-devices",
                str(devices),
            ]
        )
        == 0
    )
    add_local_site(schools, "lao-cai")
    influxdb.create_database("laocai")
    settings = collector_settings(
        tmp, mosquitto, influxdb, "laocai", registry={"schools_file": str(schools)}
    )
    fleet = generate_fleet(load_profile("lao-cai-2018"), 1.0, SEED)
    reporting = sum(1 for s in fleet if s.online for d in s.devices if not d.broken)
    with running_collector(settings) as rt:
        argv = [
            "--broker",
            f"127.0.0.1:{mosquitto.port}",
            "--username",
            SIMULATOR.username,
            "--password",
            SIMULATOR.password,
            "--scale",
            "1",
            "--seed",
            str(SEED),
            "--interval",
            "10",
            "--duration",
            "12",
            "--no-incidents",
            "--connect-timeout",
            "120",
        ]  # a shared, busy machine: 640 connections take time
        assert simulate(argv) == 0

        def stored_devices() -> int:
            rows = rt.store.rows(
                "SELECT COUNT(seq) FROM report WHERE time > now() - 1h GROUP BY school, device"
            )
            return len(rows)

        assert wait_until(lambda: stored_devices() == reporting, timeout=300, interval=2), (
            f"{stored_devices()} of {reporting} devices stored"
        )
        publish_lab(mosquitto)
        lab_rows = f"SELECT COUNT(up) FROM uplink WHERE school = '{LAB}' AND time > now() - 1h"
        assert wait_until(lambda: rt.store.rows(lab_rows), timeout=60), "the lab's link not stored"
    config = tmp / "collector.toml"
    config.write_text(
        f'[influx]\nurl = "{influxdb.url}"\ndatabase = "laocai"\n'
        f'[registry]\nurl = "sqlite:///{tmp}/registry.sqlite3"\n',
        encoding="utf-8",
    )
    assert cli(["devices", "import", "--config", str(config), str(devices)]) == 0
    return config, tmp, fleet


def publish_lab(mosquitto) -> None:
    """The Sở's lab online on fibre, as its gateway reports it."""
    uplink = Sample(
        "uplink",
        {"type": "fibre", "isp": "VNPT", "fixed": 1, "cellular": 0, "up": 1, "failover": 0},
    )
    gw = device_client(mosquitto, LAB_GATEWAY.username, LAB_GATEWAY.password)
    try:
        report = build_report(LAB, "gw", "gateway", 1, [uplink], interval=60)
        topic = f"schoolnet/v1/{LAB}/gw/telemetry"
        gw.publish(topic, encode(report), qos=1).wait_for_publish(5)
    finally:
        gw.loop_stop()
        gw.disconnect()


def report(config, tmp, kind: str, *extra: str) -> dict:
    out = tmp / f"{kind}.json"
    assert (
        cli(
            [
                "report",
                kind,
                "--config",
                str(config),
                "--period",
                "2h",
                "--as-of",
                "2018",
                "--format",
                "json",
                "--output",
                str(out),
                *extra,
            ]
        )
        == 0
    )
    return json.loads(out.read_text(encoding="utf-8"))


def test_readiness_shows_the_provinces_connectivity_and_labs(published):
    config, tmp, fleet = published
    r = report(config, tmp, "readiness")
    total = r["total"]
    assert total["schools"] == 646
    assert indicator(total, "internet")["numerator"] == 640
    assert indicator(total, "cellular")["numerator"] == 87
    assert indicator(total, "no_internet")["numerator"] == 6
    assert indicator(total, "fixed_broadband")["numerator"] == 640 - 87
    internet = indicator(total, "internet")
    assert internet["target"]["value"] == 100 and internet["gap"] == pytest.approx(
        100 - 640 / 6.46, abs=0.06
    )
    assert "Thái Nguyên" in internet["target"]["source"]
    for level, labs in LABS_BY_LEVEL.items():
        assert indicator(total, f"lab_record:{level}")["numerator"] == labs, level
    expected = working_labs_expected(fleet, 3)
    for level, labs in expected.items():
        assert indicator(total, f"lab:{level}")["numerator"] == labs, level
    # a lab in a school without internet is on record but cannot be seen working
    assert sum(expected.values()) <= sum(LABS_BY_LEVEL.values())
    primary = indicator(total, "lab:tieu_hoc")["target"]
    assert (primary["value"], primary["year"]) == (95, 2020)  # the 2020 milestone, as of 2018
    legacy = r["legacy_districts"]  # the districts the 2018 plan was written for
    assert sum(g["schools"] for g in legacy) == 646 and len(legacy) == 9
    assert [g["id"] for g in r["levels"]] == list(LABS_BY_LEVEL)
    assert LAB not in {s["id"] for s in r["schools"]}  # online, and still not a school
    bodies = {g["id"]: g["schools"] for g in r["managing_bodies"]}
    assert bodies == {"province": 36 + 10, "commune": 600}  # THPT and GDTX are the Sở's


def test_replacement_plan_flags_the_labs_supplied_before_2010(published):
    config, tmp, fleet = published
    plan = report(config, tmp, "procurement", "--lang", "en")
    old_rooms = {
        (s.id, f"lab{n}")
        for s in fleet
        for n, year in enumerate(s.lab_years, start=1)
        if year < 2010
    }
    assert len(old_rooms) == 226
    flagged = {(r["school"], r["room"]) for r in plan["lab_rooms_to_replace"]}
    assert flagged == old_rooms
    assert LAB not in {d["school"] for d in plan["devices"]}
    assert plan["total"]["labs_replace"] == 226
    assert sum(g["needs"]["labs_replace"] for g in plan["levels"]) == 226
    assert plan["total"]["cost"] > 0 and plan["prices"]["currency"] == "VND"
    reasons = [x["text"] for d in plan["devices"] for x in d["reasons"]]
    assert any("past its 8-year life" in t for t in reasons)
    assert any("32-bit" in t for t in reasons) and any("SMART" in t for t in reasons)
    assert [h["year"] for h in plan["horizon"]] == [2019, 2020, 2021, 2022, 2023]
    assert plan["horizon"][0]["needs"]["labs_replace"] > 0  # the 2010 labs come next
