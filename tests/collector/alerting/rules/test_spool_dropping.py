"""spool_dropping: an agent that dropped unsent reports (its spool full) opens an incident from
the rise of its cumulative counter, through the readings ingest keeps, for a while."""

from __future__ import annotations

from datetime import timedelta

from schoolnet_agent.protocol.payload import Sample, build_report, encode
from schoolnet_collector.alerting.readings import LatestReadings
from tests.support.rules import SCHOOL, device, find, reading, rules, snapshot

KEY = f"spool_dropping:{SCHOOL}/pc-01"


def _found(rise=None, age=timedelta(0), **settings):
    readings = [] if rise is None else [reading("pc-01", "rise.spool.dropped_total", rise, age=age)]
    return find(snapshot([device("pc-01")], readings), rules(spool_dropping=settings))


def test_a_rise_opens_with_how_many_reports_were_lost_in_both_languages():
    cond = _found(1250.0).conditions[KEY]
    assert cond.severity == "warning" and cond.details["value"] == 1250.0
    assert cond.summary.render("en") == (
        "Device pc-01 dropped 1,250 unsent reports: its spool was full"
    )
    assert cond.summary.render("vi") == (
        "Thiết bị pc-01 đã bỏ 1.250 bản tin chưa gửi được: bộ đệm đầy"
    )


def test_no_rise_an_old_rise_or_a_disabled_rule_finds_nothing():
    assert KEY not in _found().conditions
    assert KEY not in _found(3.0, age=timedelta(minutes=61)).conditions
    assert KEY in _found(3.0, age=timedelta(minutes=61), within_minutes=120).conditions
    assert KEY not in _found(3.0, enabled=False).conditions


def test_the_agents_own_reports_make_the_reading_it_reads():
    """From the agent's encoding to the condition: the collector watches the counter the rule
    declares; the first report only sets the baseline."""
    readings = LatestReadings()
    topic = f"schoolnet/v1/{SCHOOL}/pc-01/telemetry"
    for seq, dropped in enumerate((0, 0, 40), 1):
        spool = Sample("spool", {"pending_count": 9000, "dropped_total": dropped})
        readings.observe(topic, encode(build_report(SCHOOL, "pc-01", "lab_pc", seq, [spool])), seq)
    [(key, (value, _, _))] = readings._pending.items()
    assert key == (SCHOOL, "pc-01", "rise.spool.dropped_total") and value == 40.0
    assert KEY in _found(value).conditions
