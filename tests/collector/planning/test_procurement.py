"""The replacement plan on the hand-made province (tests/planning_helpers.py): every device's
reasons, lab rooms replaced whole, labs added to reach a target, costs and the horizon."""

from __future__ import annotations

import pytest

from schoolnet_collector.planning import procurement
from schoolnet_collector.planning.period import parse_period, parse_scope
from schoolnet_collector.planning.prices import load_prices
from tests.support.planning import NOW, build_province

M = 1_000_000


@pytest.fixture()
def plan(tmp_path, influxdb, influx_db_name):
    store, sessions, engine = build_province(tmp_path, influxdb, influx_db_name)
    with sessions() as session:
        yield procurement.compute(
            store, session, parse_scope("province"), parse_period("2d", NOW), as_of=2018
        )
    engine.dispose()


def assessed(plan, school, device):
    return next(a for a in plan.assessments if (a.facts.school, a.facts.device) == (school, device))


def codes(a) -> list[str]:
    return [r.code for r in a.reasons]


def test_each_device_gets_its_reasons_and_verdict(plan):
    smart = assessed(plan, "p-fibre", "admin-pc01")
    assert (codes(smart), smart.verdict) == (["smart_failed"], "replace")
    assert smart.facts.year_source == "bios"
    flaky = assessed(plan, "p-fibre", "admin-pc02")
    assert (sorted(codes(flaky)), flaky.verdict) == (["crashes", "disk_full"], "watch")
    assert "3 unexpected restarts" in flaky.reasons_text("en")  # the night's power-off is not one
    weak = assessed(plan, "p-fibre", "admin-pc03")
    assert (sorted(codes(weak)), weak.verdict) == (["cpu_32bit", "ram_low"], "replace")
    assert "RAM 1,0 GiB, dưới mức tối thiểu 2,0 GiB" in weak.reasons_text("vi")  # vi decimals
    assert "RAM 1.0 GiB, below the minimum 2.0 GiB" in weak.reasons_text("en")
    lamp = assessed(plan, "p-fibre", "proj-01")
    assert (sorted(codes(lamp)), lamp.verdict) == (["lamp_past_rating", "pjlink_error"], "replace")
    assert "lamp at 3,100 h, past its rated 3,000 h" in lamp.reasons_text("en")
    assert "bóng đèn 3.100 giờ, vượt tuổi thọ 3.000 giờ" in lamp.reasons_text("vi")
    assert assessed(plan, "p-fibre", "proj-02").verdict == "ok"
    board = assessed(plan, "p-fibre", "board-01")
    assert (codes(board), board.verdict) == (["board_unreachable"], "watch")
    old = assessed(plan, "p-fibre", "lab1-pc04")  # never reported, aged by its purchase year
    assert old.facts.year_source == "purchase" and old.age_years == 13
    assert sorted(codes(old)) == ["end_of_life", "not_reporting"]
    assert "13 năm tuổi (năm mua 2005), quá 8 năm sử dụng" in old.reasons_text("vi")
    silent = assessed(plan, "p-thpt", "admin-pc01")
    assert (codes(silent), silent.verdict) == (["not_reporting"], "watch")
    # a school without internet says nothing: its silent PC is not blamed for it
    assert codes(assessed(plan, "p-none", "admin-pc01")) == []


def test_needs_replace_whole_rooms_and_add_labs_to_reach_the_target(plan):
    rooms = {(r.school, r.room): r for r in plan.rooms}
    assert rooms[("p-fibre", "lab1")].replace and rooms[("p-fibre", "lab1")].pcs == 4
    assert not rooms[("p-3g", "lab1")].replace
    fibre = next(s for s in plan.schools if s.id == "p-fibre").needs
    assert (
        fibre.pcs,
        fibre.labs_replace,
        fibre.lab_pcs_replace,
        fibre.projectors,
        fibre.boards,
    ) == (2, 1, 4, 1, 0)
    assert fibre.cost == (60 + 4 * 14) * M + 2 * 14 * M + 15 * M
    preschool = next(s for s in plan.schools if s.id == "p-none").needs
    assert (preschool.labs_add, preschool.lab_pcs_add, preschool.cost) == (
        1,
        10,
        (60 + 10 * 14) * M,
    )
    assert plan.total.cost == fibre.cost + preschool.cost
    assert {g.id: g.needs.labs_add for g in plan.grouped["level"]} == {
        "mam_non": 1,
        "tieu_hoc": 0,
        "thcs": 0,
        "thpt": 0,
    }
    assert {g.id: g.needs.labs_replace for g in plan.grouped["legacy_district"]} == {
        "d-one": 1,
        "d-two": 0,
    }


def test_five_year_horizon_counts_what_reaches_end_of_life(plan):
    years = {h.year: h.needs for h in plan.horizon}
    assert list(years) == [2019, 2020, 2021, 2022, 2023]
    assert (years[2019].pcs, years[2019].cost) == (1, 14 * M)  # the 2010 admin PC
    assert (years[2023].labs_replace, years[2023].lab_pcs_replace) == (1, 2)  # the 2014 room
    assert years[2023].cost == (60 + 2 * 14) * M
    assert all(years[y].empty for y in (2020, 2021, 2022))


def test_json_names_prices_and_reasons_in_the_chosen_language(plan):
    data = plan.as_dict("en")
    assert data["prices"]["as_of"] and "tender" in data["prices"]["note"]
    assert data["lab_rooms_to_replace"] == [
        {
            "school": "p-fibre",
            "room": "lab1",
            "pcs": 4,
            "to_replace": 4,
            "replace": True,
            "year": 2005,
            "end_of_life_year": 2014,
        }
    ]
    flagged = {(d["school"], d["device"]) for d in data["devices"]}
    assert ("p-fibre", "proj-02") not in flagged and ("p-fibre", "proj-01") in flagged
    vi = plan.as_dict("vi")
    assert any("bóng đèn" in r["text"] for d in vi["devices"] for r in d["reasons"])


def test_a_sos_tender_prices_change_the_cost(tmp_path, plan):
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        'format: 1\nas_of: "2026-01"\nitems: {pc: 10000000, lab_room_fixed: 0, '
        "projector: 10000000, board: 30000000}\n",
        encoding="utf-8",
    )
    cheap = load_prices(prices)
    rooms = [r for r in plan.rooms if r.school == "p-fibre"]
    fibre = next(s for s in plan.schools if s.id == "p-fibre").needs
    assert procurement.cost(fibre, rooms, cheap) == 4 * 10 * M + 2 * 10 * M + 10 * M
