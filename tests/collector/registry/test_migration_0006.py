"""Migration 0006 on both back-ends: incidents written with frozen texts (until 0005) get their
message id and arguments back where the text is one the rules wrote, keep any other text as a
literal, read in either language afterwards; the downgrade writes the old texts again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlalchemy import inspect, select

from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.db import make_engine, session_factory
from tests.support.backends import T0, alembic

OLD = sa.table(
    "incidents",
    sa.column("id", sa.Integer),
    sa.column("key", sa.String),
    sa.column("rule", sa.String),
    sa.column("school_id", sa.String),
    sa.column("device_id", sa.String),
    sa.column("severity", sa.String),
    sa.column("state", sa.String),
    sa.column("flapping", sa.Boolean),
    sa.column("summary", sa.Text),
    sa.column("details", sa.JSON),
    sa.column("opened_at", sa.DateTime(timezone=True)),
)
SCHOOL = "lc-bx-th-001"


def _row(id_, rule, device, summary, **details):
    return {
        "id": id_,
        "key": f"{rule}:{SCHOOL}/{id_}",
        "rule": rule,
        "school_id": SCHOOL,
        "device_id": device,
        "severity": "warning",
        "state": "resolved",
        "flapping": False,
        "summary": summary,
        "details": details,
        "opened_at": T0,
    }


ROWS = [
    _row(
        1, "disk_full", "pc-07", "Ổ đĩa pc-07 sắp đầy: 93%", value=93.4,
        summary_vi="Ổ đĩa pc-07 sắp đầy: 93%", summary_en="Disk of pc-07 nearly full: 93%",
    ),
    _row(
        2, "uplink_failover", "gw", "Đường truyền chính lỗi, đang chạy đường dự phòng (cellular)",
        value=None, type="cellular", isp="Viettel",
    ),
    _row(3, "device_offline", "cam-01", "Camera cổng trường hỏng, đã báo", value=None),
    _row(4, "a_rule_of_another_version", None, "Điều gì đó", value=None),
    _row(5, "projector_lamp", "pj-1", "Bóng đèn máy chiếu pj-1 sắp hết tuổi thọ (95%)", value=0.95),
    _row(6, "lan_host_unknown", None, "Thiết bị lạ trong mạng trường: aa:bb", value=None, mac="aa:bb"),
    _row(7, "disk_full", "pc-08", "Ổ đĩa pc-08 sắp đầy: 93%", value="not a number"),
]  # fmt: skip


def test_old_incidents_get_message_ids_and_read_in_both_languages(registry_url):
    engine = make_engine(registry_url)
    alembic(engine, command.upgrade, "0005")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO schools (id, name, province, district, level, updated_at) "
                "VALUES (:id, 'TH Bản Xèo', 'lao-cai', 'bat-xat', 'tieu_hoc', :at)"
            ),
            {"id": SCHOOL, "at": T0},
        )
        conn.execute(sa.insert(OLD), ROWS)
    alembic(engine, command.upgrade, "head")

    with session_factory(engine)() as s:
        got = {i.id: i for i in s.scalars(select(Incident))}
    assert got[1].summary_id == "Disk of %(device)s nearly full: %(value)s"
    assert got[1].summary_text("en") == "Disk of pc-07 nearly full: 93%"
    assert got[1].summary_text("vi") == "Ổ đĩa pc-07 sắp đầy: 93%"
    assert "summary_vi" not in got[1].details and got[1].details["value"] == 93.4
    assert got[2].summary_text("en") == "Main line down, running on the backup line (cellular)"
    assert got[5].summary_text("en") == "Projector pj-1 lamp near end of life (95%)"
    assert got[6].summary_text("vi") == "Thiết bị lạ trong mạng trường: aa:bb"
    for literal in (3, 4, 7):  # a person's words, an unknown rule, figures that do not fit
        assert got[literal].summary_id is None
        assert got[literal].summary_text("en") == ROWS[literal - 1]["summary"]

    alembic(engine, command.downgrade, "0005")
    assert "summary_id" not in {c["name"] for c in inspect(engine).get_columns("incidents")}
    with engine.connect() as conn:
        back = {r.id: r for r in conn.execute(select(OLD))}
    for row in ROWS:
        assert back[row["id"]].summary == row["summary"]
    assert back[1].details["summary_en"] == "Disk of pc-07 nearly full: 93%"
    assert back[2].details["summary_vi"] == ROWS[1]["summary"]
    alembic(engine, command.upgrade, "head")
    engine.dispose()
