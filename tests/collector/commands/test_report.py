"""``schoolnet-collector report``: formats, languages, files, and every wrong argument
stopping with a message that names it (exit 2), on the hand-made province."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from devenv.services import free_port
from schoolnet_collector.cli import main as cli
from tests.support.planning import build_province, config_file

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
    assert run(config, "readiness", "--scope", "district:nowhere", *END) == 2
    assert "no district 'nowhere' in the registry" in capsys.readouterr().err
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
