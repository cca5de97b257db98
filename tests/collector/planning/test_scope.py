"""Sites of units are in no planning figure (``planning.scope``): the hand-made province with
the Sở's own lab added as a site (online, fibre, a lab of 2005 PCs the plan would replace)
gives the readiness report and the procurement plan of the province without it, in every
grouping, while the site's readings are there in InfluxDB; a school scope on a site is told
it is not a school. Real InfluxDB, registry on SQLite."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning import procurement, readiness
from schoolnet_collector.planning.grouping import AXES
from schoolnet_collector.planning.period import ReportArgumentError, parse_period, parse_scope
from schoolnet_collector.registry.equipment import import_equipment
from schoolnet_collector.registry.schools import import_schools
from tests.support.planning import NOW, SAMPLES, build_province, ms, place_in_communes

SITE = "so-gddt-lab"
SITE_FILE = (
    "id,name,province,district,level,students,site_of\n"
    f"{SITE},Phòng máy thử nghiệm Sở GDĐT,lao-cai,d-one,,40,lao-cai\n"
    # a commune's office, placed in its commune by its own row
    "ubnd-c-mot,UBND Xã Một,lao-cai,d-two,other,,c-mot\n"
)
SITE_DEVICES = ["gw", *[f"lab1-pc0{n}" for n in range(1, 5)]]


def site_readings() -> list[str]:
    lines = []
    for site in (SITE, "ubnd-c-mot"):
        tags = f"province=lao-cai,district=d-one,school={site},level=other"
        for t in SAMPLES:
            lines.append(
                f'uplink,{tags},device=gw,kind=gateway type="fibre",fixed=1.0,cellular=0.0,'
                f"up=1.0,failover=0.0,rtt_ms=5.0,loss_percent=0.0 {ms(t)}"
            )
        for device in SITE_DEVICES[1:]:
            for seq, t in enumerate(SAMPLES[::36], start=1):
                lines.append(
                    f"report,{tags},device={device},kind=lab_pc seq={seq}.0,"
                    f"interval_seconds=60.0 {ms(t)}"
                )
    return lines


EVERY_AXIS = ",".join(AXES)


def figures(store, session, group_by=EVERY_AXIS):
    period = parse_period("2d", NOW)
    scope = parse_scope("province")
    ready = readiness.compute(store, session, scope, period, as_of=2026, group_by=group_by)
    plan = procurement.compute(store, session, scope, period, as_of=2018, group_by=group_by)
    return ready.as_dict(), plan.as_dict()


@pytest.fixture()
def province(tmp_path, influxdb, influx_db_name):
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name)
    place_in_communes(tmp_path, sessions)
    yield store, sessions, tmp_path
    engine.dispose()


def add_sites(store, sessions, tmp_path):
    (tmp_path / "sites.csv").write_text(SITE_FILE, encoding="utf-8")
    (tmp_path / "site-devices.csv").write_text(
        "school,device,kind,purchase_year,room\n"
        + "".join(
            f"{site},{d},{'gateway' if d == 'gw' else 'lab_pc'},2005,{'' if d == 'gw' else 'lab1'}\n"
            for site in (SITE, "ubnd-c-mot")
            for d in SITE_DEVICES
        ),
        encoding="utf-8",
    )
    with sessions() as session:
        result = import_schools(session, tmp_path / "sites.csv", "lao-cai")
        assert (result.errors, result.sites) == ([], 2)
        assert not import_equipment(session, tmp_path / "site-devices.csv").errors
    assert not store.write(site_readings()).rejected


def test_a_site_changes_no_school_figure_in_any_grouping(province):
    store, sessions, tmp_path = province
    with sessions() as session:
        before = figures(store, session)
    add_sites(store, sessions, tmp_path)
    stored = store.rows("SELECT COUNT(up) AS n FROM uplink GROUP BY school")
    assert {r["school"] for r in stored} >= {SITE, "ubnd-c-mot"}  # the sites did report
    with sessions() as session:
        after = figures(store, session)
    ready, plan = after
    assert ready == before[0]
    assert plan == before[1]
    assert ready["total"]["schools"] == 4
    assert SITE not in {s["id"] for s in ready["schools"]}
    assert SITE not in {d["school"] for d in plan["devices"]}


def test_a_school_scope_on_a_site_is_told_it_is_not_a_school(province):
    store, sessions, tmp_path = province
    add_sites(store, sessions, tmp_path)
    with sessions() as session, pytest.raises(ReportArgumentError) as err:
        readiness.compute(store, session, parse_scope(f"school:{SITE}"), parse_period("2d", NOW))
    assert str(err.value) == (
        f"scope school:{SITE}: {SITE!r} is a site of 'lao-cai', not a school: "
        "it has no school figures"
    )
