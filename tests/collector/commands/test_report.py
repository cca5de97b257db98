"""``schoolnet-collector report``: formats, languages, files, and every wrong argument
stopping with a message that names it (exit 2), on the hand-made province."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import openpyxl
import pytest

from devenv.services import free_port
from schoolnet_collector.cli import main as cli
from tests.support.planning import (
    PLAN_LAO_CAI,
    PLAN_PROVINCE,
    PLAN_YEN_BAI,
    build_province,
    config_file,
    plan_files,
)

END = ["--end", "2026-03-10T10:00+07:00"]  # planning_helpers.NOW


@pytest.fixture()
def config(tmp_path, influxdb, influx_db_name):
    _, _, engine = build_province(tmp_path, influxdb, influx_db_name)
    engine.dispose()
    return config_file(tmp_path, influxdb.url, influx_db_name)


def run(config, *args) -> int:
    return cli(["report", *args, "--config", str(config)])


def test_readiness_table_in_vietnamese_by_default(config, capsys):
    assert run(config, "readiness", "--period", "2d", *END) == 0
    out = capsys.readouterr().out
    assert "Có kết nối Internet" in out and "Thái Nguyên" in out and "Mục tiêu" in out
    assert "Huyện Một" in out and "Trường có phòng máy hoạt động – Tiểu học" in out


def test_json_and_csv_to_stdout(config, capsys):
    assert run(config, "readiness", "--period", "2d", "--format", "json", *END) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["total"]["schools"] == 4 and data["as_of"] == 2026
    assert (
        run(
            config,
            "procurement",
            "--period",
            "2d",
            "--format",
            "csv",
            "--lang",
            "en",
            "--as-of",
            "2018",
            *END,
        )
        == 0
    )
    text = capsys.readouterr().out.lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text)))
    province = rows[0]
    assert (province["Group"], province["Labs to replace"], province["Labs to add"]) == (
        "Province",
        "1",
        "1",
    )
    assert int(province["Estimated cost (VND)"]) == 359_000_000
    assert [r["Id"] for r in rows if r["Group"] == "Year"] == [
        "2019",
        "2020",
        "2021",
        "2022",
        "2023",
    ]


def test_xlsx_has_a_summary_and_one_sheet_per_level_with_vietnamese_headers(
    config, tmp_path, capsys
):
    out = tmp_path / "readiness.xlsx"
    assert (
        run(config, "readiness", "--period", "2d", "--format", "xlsx", "--output", str(out), *END)
        == 0
    )
    assert "written to" in capsys.readouterr().err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Tổng hợp", "Mầm non", "Tiểu học", "THCS", "THPT"]
    headers = [c.value for c in wb["Tổng hợp"][1]]
    assert headers[:5] == ["Nhóm", "Mã", "Tên", "Chỉ số", "Giá trị"] and "Còn thiếu" in headers
    assert [c.value for c in wb["THCS"][2]][:2] == ["p-fibre", "Trường THCS Cáp Quang"]
    plan = tmp_path / "plan.xlsx"
    assert (
        run(
            config,
            "procurement",
            "--period",
            "2d",
            "--as-of",
            "2018",
            "--format",
            "xlsx",
            "--output",
            str(plan),
            *END,
        )
        == 0
    )
    wb = openpyxl.load_workbook(plan)
    assert wb.sheetnames[0] == "Tổng hợp" and wb.sheetnames[-1] == "Thiết bị cần thay"
    reasons = [r[-1] for r in wb["Thiết bị cần thay"].iter_rows(min_row=2, values_only=True)]
    assert any(r and "quá 8 năm sử dụng" in r for r in reasons)
    notes = [r[0] for r in wb["Tổng hợp"].iter_rows(values_only=True) if r[0]]
    assert any(str(n).startswith("Đơn giá giả định") for n in notes)


@pytest.mark.parametrize(
    "args, message",
    [
        (["readiness", "--scope", "county:x"], "argument --scope: scope 'county:x'"),
        (["readiness", "--period", "30"], "argument --period: period '30'"),
        (["readiness", "--period", "9999d"], "at most 400d"),
        (["readiness", "--format", "pdf"], "argument --format: invalid choice"),
        (["readiness", "--lang", "fr"], "argument --lang: invalid choice"),
        (["readiness", "--as-of", "18"], "argument --as-of: must be a year"),
        (["readiness", "--end", "yesterday"], "argument --end: must be a date"),
        (["budget"], "argument kind: invalid choice"),
    ],
)
def test_bad_arguments_exit_2_naming_them(config, capsys, args, message):
    with pytest.raises(SystemExit) as exit_:
        run(config, *args)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err


def test_bad_requests_exit_2_with_the_reason(config, tmp_path, capsys):
    assert run(config, "readiness", "--format", "xlsx", *END) == 2
    assert "--format xlsx needs --output" in capsys.readouterr().err
    assert run(config, "readiness", "--scope", "commune:nowhere", *END) == 2
    assert "no school run by commune 'nowhere'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:  # refused by the argument parser
        run(config, "readiness", "--scope", "district:d-one", *END)
    assert exit_.value.code == 2 and "district scopes ended" in capsys.readouterr().err
    targets = tmp_path / "targets.yaml"
    targets.write_text("format: 1\ntargets: {internet: {milestones: {}, source: x}}\n")
    assert run(config, "readiness", "--targets", str(targets), *END) == 2
    assert "targets.internet.milestones" in capsys.readouterr().err
    assert (
        run(
            config, "readiness", "--format", "csv", "--output", str(tmp_path / "no" / "x.csv"), *END
        )
        == 2
    )
    assert "--output" in capsys.readouterr().err


def test_influxdb_down_exits_1_naming_it(config, tmp_path, capsys):
    text = config.read_text().replace("[influx]\n", "[influx]\ntimeout = 1\n")
    text = (
        text.split("url = ", 1)[0]
        + f'url = "http://127.0.0.1:{free_port()}"\n'
        + text.split("\n", 3)[3]
    )
    down = tmp_path / "down.toml"
    down.write_text(text)
    assert run(down, "readiness", *END) == 1
    assert "query to http://127.0.0.1" in capsys.readouterr().err


def test_list_prints_the_registered_reports_as_docs_table(capsys):
    from schoolnet_collector.planning.reports.docs import reports_markdown

    assert cli(["report", "--list"]) == 0
    out = capsys.readouterr().out
    assert out == reports_markdown() and "`readiness`" in out and "`procurement`" in out


def test_no_report_named_exits_2_with_the_known_names(capsys):
    assert cli(["report"]) == 2
    assert "name a report: readiness, procurement" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        cli(["report", "budget"])
    assert exit_.value.code == 2
    assert "(choose from 'readiness', 'procurement')" in capsys.readouterr().err


# --- --group-by and --plan on the merged province (issue 12) ---------------------------------


@pytest.fixture()
def merged(tmp_path, influxdb, influx_db_name):
    """The province placed in communes; ``configure(*plan_texts)``: a config with those plans
    in ``[planning] plans``, and its registry and InfluxDB for the API to read too."""
    _, _, engine = build_province(tmp_path, influxdb, influx_db_name)
    engine.dispose()

    def configure(*texts: str):
        return config_file(tmp_path, influxdb.url, influx_db_name, plan_files(tmp_path, *texts))

    return configure


def report_json(config, capsys, *args) -> dict:
    assert run(config, *args, "--period", "2d", "--format", "json", *END) == 0
    return json.loads(capsys.readouterr().out)


def test_group_by_and_plan_give_the_groups_the_api_gives(merged, tmp_path, capsys):
    from fastapi.testclient import TestClient

    from schoolnet_collector.api.auth import get_clock
    from schoolnet_collector.app import create_app
    from schoolnet_collector.core.config import load_settings
    from schoolnet_collector.runtime import Runtime
    from tests.support.collector import bearer, make_token
    from tests.support.planning import NOW

    config = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    rt = Runtime.open(load_settings(config))
    app = create_app(rt)
    app.dependency_overrides[get_clock] = lambda: lambda: NOW
    try:
        with TestClient(app, headers=bearer(make_token(rt))) as client:
            for name, group_by, plan in [
                ("readiness", "commune,managing_body,legacy_province", None),
                ("readiness", "legacy_district,level", "yen-bai-2020"),
                ("procurement", "commune,managing_body", None),
                ("procurement", "province,legacy_province", "lao-cai-2018"),
            ]:
                args = [name, "--group-by", group_by] + (["--plan", plan] if plan else [])
                cli_json = report_json(config, capsys, *args)
                params = {"period": "2d", "group_by": group_by} | ({"plan": plan} if plan else {})
                api = client.get(f"/api/v1/reports/{name}", params=params)
                assert api.status_code == 200, api.text
                api_json = api.json()
                # one instant, written in the offset each was given (--end +07:00, a UTC clock)
                for end in ("start", "end"):
                    assert datetime.fromisoformat(
                        cli_json["period"].pop(end)
                    ) == datetime.fromisoformat(api_json["period"].pop(end))
                assert cli_json == api_json, (name, group_by, plan)
                assert cli_json["group_by"] == group_by.split(",")
                assert cli_json["plan"] == (plan or "lao-cai-2018")
    finally:
        rt.close()


def test_group_by_in_the_table_names_the_unassigned_schools(merged, capsys):
    config = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    assert run(config, "readiness", "--group-by", "commune", "--period", "2d", *END) == 0
    out = capsys.readouterr().out
    assert "Chưa gán xã" in out and "Xã Một" in out and "Phường Hai" in out
    assert "Huyện Một" not in out.split("Trường có phòng máy")[0]  # no district groups asked
    assert "Kế hoạch Yên Bái 2020" in out and "Kế hoạch Lào Cai 2018" in out


@pytest.mark.parametrize(
    "value, message",
    [
        ("district", "argument --group-by: group_by 'district': expected one or more of"),
        ("commune,ward", "argument --group-by: group_by 'ward'"),
        ("Commune", "argument --group-by: group_by 'Commune'"),
    ],
)
def test_a_bad_group_by_exits_2_naming_it_and_writes_nothing(
    merged, tmp_path, capsys, value, message
):
    config = merged(PLAN_LAO_CAI)
    out = tmp_path / "r.csv"
    with pytest.raises(SystemExit) as exit_:
        run(config, "readiness", "--group-by", value, "--format", "csv", "--output", str(out))
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_bad_plan_exits_2_naming_it_and_writes_nothing(merged, tmp_path, capsys):
    out = tmp_path / "r.xlsx"
    xlsx = ["--format", "xlsx", "--output", str(out), *END]
    config = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    assert run(config, "readiness", "--plan", "hoa-binh-2019", *xlsx) == 2
    assert (
        "plan 'hoa-binh-2019': no such plan; the plans are: lao-cai-2018, yen-bai-2020"
        in capsys.readouterr().err
    )
    assert (
        run(config, "procurement", "--scope", "commune:c-mot", "--plan", "yen-bai-2020", *xlsx) == 2
    )
    assert "no school of its area 'yen-bai-cu' is in scope commune:c-mot" in capsys.readouterr().err
    wrong = merged(PLAN_LAO_CAI, PLAN_YEN_BAI.replace("area: yen-bai-cu", "area: c-mot"))
    for name in ("readiness", "procurement"):
        assert run(wrong, name, *xlsx) == 2
        err = capsys.readouterr().err
        assert "plan 'yen-bai-2020'" in err and "its area 'c-mot' is a unit of type 'xa'" in err
    twins = merged(PLAN_YEN_BAI, PLAN_YEN_BAI)
    assert run(twins, "readiness", *xlsx) == 2
    assert "plan id 'yen-bai-2020' is already the id of the plan in" in capsys.readouterr().err
    assert not out.exists()


def test_targets_is_the_only_plan_instead_of_the_configured_ones(merged, tmp_path, capsys):
    config = merged(PLAN_LAO_CAI, PLAN_YEN_BAI)
    (only,) = plan_files(tmp_path / "..", PLAN_PROVINCE)
    data = report_json(config, capsys, "readiness", "--targets", str(only))
    assert data["plan"] == "lao-cai-2026" and [p["id"] for p in data["plans"]] == ["lao-cai-2026"]
    assert run(config, "readiness", "--targets", str(only), "--plan", "yen-bai-2020", *END) == 2
    assert "the plans are: lao-cai-2026" in capsys.readouterr().err
