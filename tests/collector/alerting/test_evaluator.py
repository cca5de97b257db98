"""The alert engine on an injected clock: incidents opened, suppressed, resolved; debounce,
hysteresis, flapping, maintenance windows, per-uplink thresholds; and two collectors on one
registry (SQLite and a real PostgreSQL) opening one incident between them.

Devices "report" through the real DeviceTracker and LatestReadings flushes into a real
registry; the evaluator reads that registry exactly as in the collector.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from schoolnet_collector.alerting import incidents
from schoolnet_collector.registry.alerting_models import MaintenanceWindow
from schoolnet_collector.registry.models import Device
from tests.support.alerting import Clock, Recorder, Registry, rules_with
from tests.support.backends import REGISTRY_BACKENDS

S1, S2 = "lc-test-01", "lc-test-02"


@pytest.fixture(params=REGISTRY_BACKENDS)
def backend_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return request.getfixturevalue("postgresql_url")


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def reg(tmp_path, clock):
    registry = Registry(f"sqlite:///{tmp_path / 'registry.sqlite3'}", clock)
    yield registry
    registry.close()


@pytest.fixture()
def reg_both(backend_url, clock):
    registry = Registry(backend_url, clock)
    yield registry
    registry.close()


def school_reports(
    reg: Registry, school: str = S1, uplink: dict | None = None, pcs: int = 2
) -> None:
    reg.report(
        school,
        "gw",
        "gateway",
        uplink=uplink or {"up": 1, "failover": 0, "type": "fibre", "rtt_ms": 20, "loss_percent": 0},
    )
    reg.report(school, "cam-01", "camera")
    for i in range(pcs):
        reg.report(school, f"pc-{i + 1:02d}", "lab_pc")


def run_for(reg: Registry, ev, minutes: float, step: float = 0.5, report=None) -> None:
    """Advance the clock in steps, evaluating each step (and letting devices report)."""
    for _ in range(int(minutes / step)):
        reg.clock.advance(minutes=step)
        if report:
            report()
        ev.evaluate()


# -- presence ------------------------------------------------------------------------------


def test_a_silent_device_opens_one_incident_after_its_debounce_and_resolves_after_clearing(
    reg_both,
):
    reg, rec = reg_both, Recorder()
    ev = reg.evaluator(recorder=rec)
    school_reports(reg)
    alive = lambda: (reg.report(S1, "gw", "gateway"), reg.report(S1, "pc-01", "lab_pc"))  # noqa: E731
    # The camera falls silent: offline after 3 intervals (3 min), incident 5 min later.
    run_for(reg, ev, 7.5, report=alive)
    assert reg.keys() == []
    run_for(reg, ev, 1, report=alive)
    assert reg.keys() == [f"device_offline:{S1}/cam-01"]
    [incident] = reg.incidents()
    assert incident.severity == "warning" and incident.device_id == "cam-01"
    assert (
        incident.summary_text("vi") == "Thiết bị cam-01 mất kết nối"
        and incident.summary_text("en") == "Device cam-01 is offline"
    )
    # Back: resolved only after clear_minutes (2) without the condition.
    reg.report(S1, "cam-01", "camera")
    run_for(reg, ev, 1.5, report=lambda: (alive(), reg.report(S1, "cam-01", "camera")))
    assert reg.keys() == [f"device_offline:{S1}/cam-01"]
    run_for(reg, ev, 1, report=lambda: (alive(), reg.report(S1, "cam-01", "camera")))
    assert reg.keys() == []
    assert reg.timeline(incident.id) == [("opened", "rules"), ("resolved", "rules")]
    assert rec.transitions() == ["opened", "resolved"]


def test_the_last_will_counts_from_when_it_came(reg):
    ev = reg.evaluator()
    school_reports(reg)
    reg.will(S1, "cam-01")  # offline at once, not after 3 silent intervals
    others = lambda: (reg.report(S1, "gw", "gateway"), reg.report(S1, "pc-01", "lab_pc"))  # noqa: E731
    run_for(reg, ev, 4.5, report=others)
    assert reg.keys() == []
    run_for(reg, ev, 1, report=others)
    assert reg.keys() == [f"device_offline:{S1}/cam-01"]
    assert reg.incidents()[0].details["since"].startswith("2026-11-25T02:00")


def test_a_school_offline_is_one_incident_that_covers_its_devices(reg):
    rec = Recorder()
    ev = reg.evaluator(recorder=rec)
    school_reports(reg, S1, pcs=3)
    school_reports(reg, S2)
    # School 1 goes dark (power cut); school 2 keeps reporting.
    run_for(reg, ev, 20, report=lambda: school_reports(reg, S2))
    assert reg.keys() == [f"school_offline:{S1}"]
    [incident] = reg.incidents()
    assert incident.severity == "critical" and incident.device_id is None
    assert incident.details["devices"] == 5
    # It comes back: the school incident resolves after its clear time; no device incident ever.
    run_for(reg, ev, 5, report=lambda: (school_reports(reg, S1), school_reports(reg, S2)))
    assert reg.keys() == []
    assert [i.key for i in reg.incidents("resolved")] == [f"school_offline:{S1}"]
    assert rec.transitions() == ["opened", "resolved"]


def test_devices_expected_in_school_hours_are_judged_only_then(reg, clock):
    ev = reg.evaluator()
    # 17:30 in Lào Cai: school has closed for the day.
    clock.now = clock.now.replace(hour=10, minute=30)
    school_reports(reg)
    with reg.sessions() as s:
        s.get(Device, (S1, "pc-01")).expected_presence = "school_hours"
        s.commit()
    keep_gateway = lambda: (reg.report(S1, "gw", "gateway"), reg.report(S1, "cam-01", "camera"))  # noqa: E731
    run_for(reg, ev, 60 * 13, step=15, report=keep_gateway)  # through the night to 06:30
    assert reg.keys() == []
    run_for(reg, ev, 30 + 4, step=1, report=keep_gateway)  # 07:00 the school opens
    assert reg.keys() == []
    run_for(reg, ev, 2, step=1, report=keep_gateway)
    assert reg.keys() == [f"device_offline:{S1}/pc-01"]


# -- flapping, maintenance -------------------------------------------------------------------

FAST = rules_with(
    ("    for_minutes: 5\n    clear_minutes: 2", "    for_minutes: 0\n    clear_minutes: 0"),
    ("calm_minutes: 30", "calm_minutes: 20"),
)


def test_a_flapping_device_becomes_one_flapping_incident_not_a_storm(reg):
    rec = Recorder()
    ev = reg.evaluator(FAST, recorder=rec)
    school_reports(reg)
    for _cycle in range(8):  # the camera's link drops and returns every few minutes
        reg.will(S1, "cam-01")
        run_for(reg, ev, 2, step=1, report=lambda: reg.report(S1, "gw", "gateway"))
        reg.online(S1, "cam-01")
        run_for(
            reg,
            ev,
            2,
            step=1,
            report=lambda: (reg.report(S1, "gw", "gateway"), reg.report(S1, "cam-01", "camera")),
        )
    all_incidents = reg.incidents()
    assert len(all_incidents) == 3  # two ordinary ones, then one flapping incident
    flapping = all_incidents[-1]
    assert flapping.flapping and flapping.state == "open"
    assert flapping.details["openings_in_window"] == 3
    assert rec.transitions() == ["opened", "resolved", "opened", "resolved", "opened", "flapping"]
    # It settles (quiet since the last evaluation of the loop): resolved after calm_minutes (20)
    # of quiet, not after clear_minutes (0).
    steady = lambda: (reg.report(S1, "gw", "gateway"), reg.report(S1, "cam-01", "camera"))  # noqa: E731
    run_for(reg, ev, 17, step=1, report=steady)
    assert reg.keys() == [f"device_offline:{S1}/cam-01"]
    run_for(reg, ev, 3, step=1, report=steady)
    assert reg.keys() == []
    assert rec.transitions()[-1] == "resolved" and len(reg.incidents()) == 3


def test_nothing_opens_during_a_maintenance_window_and_it_opens_after(reg, clock):
    ev = reg.evaluator()
    school_reports(reg)
    school_reports(reg, S2)
    with reg.sessions() as s:
        s.add(
            MaintenanceWindow(
                school_id=S1,
                device_id=None,
                starts_at=clock(),
                ends_at=clock() + timedelta(hours=2),
                reason="thay router",
                created_at=clock(),
            )
        )
        s.commit()
    run_for(reg, ev, 119, step=1, report=lambda: school_reports(reg, S2))
    assert reg.keys() == []
    run_for(reg, ev, 1, step=1, report=lambda: school_reports(reg, S2))
    # Offline for two hours already: the debounce has long passed when the window ends.
    assert reg.keys() == [f"school_offline:{S1}"]


# -- uplink rules -------------------------------------------------------------------------------


def uplink(type_="fibre", **fields):
    return {"up": 1, "failover": 0, "type": type_, "rtt_ms": 20, "loss_percent": 0, **fields}


def test_thresholds_depend_on_the_uplink_type(reg):
    ev = reg.evaluator()

    # The same readings: normal for a 3G school, a degraded line for a fibre one.
    def both():
        return (
            school_reports(reg, S1, uplink("cellular", rtt_ms=600, loss_percent=12)),
            school_reports(reg, S2, uplink("fibre", rtt_ms=600, loss_percent=12)),
        )

    both()
    run_for(reg, ev, 31, step=1, report=both)
    assert sorted(reg.keys()) == [f"uplink_latency:{S2}", f"uplink_loss:{S2}"]
    latency = next(i for i in reg.incidents() if i.rule == "uplink_latency")
    assert latency.details["threshold"] == 150 and latency.details["type"] == "fibre"


def test_value_hysteresis_keeps_an_incident_open_between_the_two_levels(reg):
    ev = reg.evaluator()
    disk = {"value": 92}

    def report():
        return (
            school_reports(reg),
            reg.report(S1, "pc-01", "lab_pc", disk={"used_percent": disk["value"]}),
        )

    report()
    run_for(reg, ev, 16, step=1, report=report)
    assert reg.keys() == [f"disk_full:{S1}/pc-01"]
    disk["value"] = 88  # under the threshold (90), above the clear level (85)
    run_for(reg, ev, 30, step=1, report=report)
    assert reg.keys() == [f"disk_full:{S1}/pc-01"]
    disk["value"] = 80
    run_for(reg, ev, 14, step=1, report=report)
    assert reg.keys() == [f"disk_full:{S1}/pc-01"]
    run_for(reg, ev, 2, step=1, report=report)
    assert reg.keys() == []
    # 88 again: below the threshold, so nothing opens.
    disk["value"] = 88
    run_for(reg, ev, 30, step=1, report=report)
    assert reg.keys() == []


def test_no_internet_while_the_gateway_reports_and_loss_is_not_judged_then(reg):
    ev = reg.evaluator()
    report = lambda: school_reports(reg, uplink=uplink(up=0, loss_percent=100, rtt_ms=0))  # noqa: E731
    report()
    run_for(reg, ev, 40, step=1, report=report)
    assert reg.keys() == [f"no_internet:{S1}"]
    assert reg.incidents()[0].severity == "critical"


def test_failover_to_3g_and_back(reg):
    ev = reg.evaluator()
    state = {"up": uplink()}
    report = lambda: school_reports(reg, uplink=state["up"])  # noqa: E731
    report()
    reg.event(
        S1,
        "gw",
        "uplink_changed",
        from_type="fibre",
        to_type="cellular",
        from_isp="VNPT",
        to_isp="Viettel",
        reason="failover",
    )
    state["up"] = uplink("cellular", failover=1, isp="Viettel", rtt_ms=300, loss_percent=3)
    run_for(reg, ev, 11, step=1, report=report)
    assert reg.keys() == [f"uplink_failover:{S1}"]
    incident = reg.incidents()[0]
    assert incident.severity == "info" and "cellular" in incident.summary
    reg.event(S1, "gw", "uplink_changed", from_type="cellular", to_type="fibre", reason="failback")
    state["up"] = uplink()
    run_for(reg, ev, 6, step=1, report=report)
    assert reg.keys() == []


# -- equipment rules ------------------------------------------------------------------------


def test_projector_lamp_error_and_smart(reg):
    ev = reg.evaluator()

    def report():
        return (
            school_reports(reg),
            reg.report(
                S1,
                "proj-01",
                "projector",
                projector={"power_on": 1, "lamp_hours": 2850, "lamp_rated_hours": 3000, "error": 1},
            ),
            reg.report(
                S1,
                "proj-02",
                "projector",
                projector={"power_on": 1, "lamp_hours": 100, "lamp_rated_hours": 3000, "error": 0},
            ),
        )

    report()
    reg.inventory(S1, "pc-01", smart_failed_count=1, disk_count=1)
    reg.inventory(S1, "pc-02", smart_failed_count=0, disk_count=1)
    run_for(reg, ev, 11, step=1, report=report)
    assert sorted(reg.keys()) == [
        f"projector_error:{S1}/proj-01",
        f"projector_lamp:{S1}/proj-01",
        f"smart_failing:{S1}/pc-01",
    ]
    lamp = next(i for i in reg.incidents() if i.rule == "projector_lamp")
    assert "95%" in lamp.summary


def test_a_lab_with_too_few_working_pcs(reg, clock):
    ev = reg.evaluator()
    for i in range(6):
        reg.report(S1, f"pc-{i + 1:02d}", "lab_pc")
    clock.advance(days=8)  # four PCs have not been heard from in a week

    def report():
        return (
            reg.report(S1, "gw", "gateway", uplink=uplink()),
            reg.report(S1, "pc-01", "lab_pc"),
            reg.report(S1, "pc-02", "lab_pc"),
        )

    report()
    run_for(reg, ev, 55, step=5, report=report)
    assert reg.keys() == []
    run_for(reg, ev, 10, step=5, report=report)
    assert reg.keys() == [f"lab_pcs_low:{S1}"]
    assert reg.incidents()[0].details["registered"] == 6


def test_unknown_lan_hosts_are_off_by_default_and_reported_when_enabled(tmp_path, clock):
    for enabled, expected in ((False, []), (True, [f"lan_host_unknown:{S1}/aa:bb:cc:dd:ee:ff"])):
        reg = Registry(f"sqlite:///{tmp_path / f'r{enabled}.sqlite3'}", clock)
        rules = rules_with(("    enabled: false\n", "    enabled: true\n")) if enabled else None
        ev = reg.evaluator(rules)
        school_reports(reg)
        reg.event(S1, "gw", "lan_host_unknown", mac="AA:BB:CC:DD:EE:FF", vendor="TP-Link")
        run_for(reg, ev, 1, report=lambda reg=reg: school_reports(reg))
        assert reg.keys() == expected
        reg.close()


# -- transitions --------------------------------------------------------------------------------


def test_acknowledge_and_resolve_are_transactions_with_a_timeline(reg_both, clock):
    reg, rec = reg_both, Recorder()
    with reg.sessions() as s:
        opened = incidents.open_incident(
            s,
            key=f"school_offline:{S1}",
            rule="school_offline",
            school_id=S1,
            device_id=None,
            severity="critical",
            summary="x",
            details={},
            now=clock(),
            enqueue=rec,
        )
    with reg.sessions() as s:
        again = incidents.open_incident(
            s,
            key=f"school_offline:{S1}",
            rule="school_offline",
            school_id=S1,
            device_id=None,
            severity="critical",
            summary="x",
            details={},
            now=clock(),
            enqueue=rec,
        )
    assert again is None  # one open incident per key
    with reg.sessions() as s:
        incidents.acknowledge(
            s,
            opened.id,
            actor="co-lan",
            note="đang kiểm tra",
            now=clock.advance(minutes=3),
            enqueue=rec,
        )
        with pytest.raises(incidents.IncidentStateError):
            incidents.acknowledge(
                s, opened.id, actor="thay-binh", note=None, now=clock(), enqueue=rec
            )
        incidents.resolve(
            s,
            opened.id,
            actor="co-lan",
            note="đã thay nguồn",
            now=clock.advance(minutes=9),
            enqueue=rec,
        )
        with pytest.raises(incidents.IncidentStateError):
            incidents.resolve(s, opened.id, actor="rules", note=None, now=clock(), enqueue=rec)
    [incident] = reg.incidents()
    assert (incident.state, incident.acknowledged_by, incident.resolved_by) == (
        "resolved",
        "co-lan",
        "co-lan",
    )
    assert reg.timeline(incident.id) == [
        ("opened", "rules"),
        ("acknowledged", "co-lan"),
        ("resolved", "co-lan"),
    ]
    assert rec.transitions() == ["opened", "acknowledged", "resolved"]


def test_a_failing_notification_rolls_the_transition_back(reg, clock):
    def broken(session, incident, transition, now):
        raise RuntimeError("outbox unavailable")

    with reg.sessions() as s:
        with pytest.raises(RuntimeError):
            incidents.open_incident(
                s,
                key=f"school_offline:{S1}",
                rule="school_offline",
                school_id=S1,
                device_id=None,
                severity="critical",
                summary="x",
                details={},
                now=clock(),
                enqueue=broken,
            )
        s.rollback()
    assert reg.incidents() == []


def test_two_collectors_evaluating_one_registry_open_one_incident(reg_both):
    reg = reg_both
    school_reports(reg)
    school_reports(reg, S2)
    recorders = [Recorder() for _ in range(4)]
    evaluators = [reg.evaluator(recorder=r) for r in recorders]
    reg.clock.advance(minutes=20)  # school 1 has been dark long enough
    school_reports(reg, S2)
    for _ in range(5):
        barrier = threading.Barrier(len(evaluators))
        errors = []

        def run(ev, barrier=barrier, errors=errors):
            try:
                barrier.wait()
                ev.evaluate()
            except Exception as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(ev,)) for ev in evaluators]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    assert reg.keys() == [f"school_offline:{S1}"]
    assert len(reg.incidents()) == 1
    assert sum(r.transitions().count("opened") for r in recorders) == 1
    # And it resolves once, whichever collector sees it first.
    reg.clock.advance(minutes=1)
    school_reports(reg)
    for _ in range(8):
        reg.clock.advance(minutes=1)
        school_reports(reg)
        school_reports(reg, S2)
        for ev in evaluators:
            ev.evaluate()
    assert reg.keys() == []
    assert sum(r.transitions().count("resolved") for r in recorders) == 1


def test_an_incident_of_a_rule_this_version_does_not_know_is_left_alone(reg, clock):
    with reg.sessions() as s:
        old = incidents.open_incident(
            s,
            key=f"printer_out_of_paper:{S1}/pr-01",
            rule="printer_out_of_paper",
            school_id=S1,
            device_id="pr-01",
            severity="info",
            summary="x",
            details={},
            now=clock(),
            enqueue=Recorder(),
        )
    ev = reg.evaluator()
    school_reports(reg)
    run_for(reg, ev, 60, step=5, report=lambda: school_reports(reg))
    assert reg.keys() == [old.key]
