"""Incidents keep their summary as a message id and its arguments, not as frozen text.

Until 0005 an incident's summary was written once, in Vietnamese (``summary``) and both
languages in ``details`` (``summary_vi``, ``summary_en``), so an English reader or a corrected
wording never reached old incidents. From here the rules' message id is ``summary_id`` and its
arguments (``schoolnet_collector.i18n.Deferred``'s JSON form) ``summary_args``; ``summary``
keeps a literal text for SQL readers and for rows that cannot be mapped.

The data migration maps each row back by re-writing the texts the rules wrote until now (frozen
here, as they were) from the row's own figures: a row whose stored text is one of them gets the
id and arguments; any other text (a row written by hand, by a newer wording) is kept as the
literal, ``summary_id`` NULL. The downgrade writes the old texts back from ids and arguments.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Args = Callable[[dict[str, Any]], dict[str, Any]]


def _pct(ratio: float) -> dict[str, Any]:
    return {"pct": ratio, "digits": 0}


def _num(value: float) -> dict[str, Any]:
    return {"num": value, "digits": 0}


# rule: (Vietnamese text until 0005, English text until 0005, message id, its arguments)
TEXTS: dict[str, tuple[str, str, str, Args]] = {
    "device_offline": (
        "Thiết bị {device} mất kết nối",
        "Device {device} is offline",
        "Device %(device)s is offline",
        lambda f: {"device": f["device"]},
    ),
    "school_offline": (
        "Trường mất kết nối: không nhận được dữ liệu từ gateway và thiết bị",
        "School offline: no report from its gateway or any device",
        "School offline: no report from its gateway or any device",
        lambda f: {},
    ),
    "uplink_failover": (
        "Đường truyền chính lỗi, đang chạy đường dự phòng ({type})",
        "Main line down, running on the backup line ({type})",
        "Main line down, running on the backup line (%(type)s)",
        lambda f: {"type": f["type"]},
    ),
    "no_internet": (
        "Mất Internet: gateway hoạt động nhưng không ra được Internet",
        "No internet: the gateway is up but cannot reach the internet",
        "No internet: the gateway is up but cannot reach the internet",
        lambda f: {},
    ),
    "uplink_loss": (
        "Mất gói cao trên đường truyền: {value:.0f}%",
        "High packet loss on the uplink: {value:.0f}%",
        "High packet loss on the uplink: %(value)s",
        lambda f: {"value": _pct(f["value"] / 100)},
    ),
    "uplink_latency": (
        "Độ trễ đường truyền cao: {value:.0f} ms",
        "High uplink latency: {value:.0f} ms",
        "High uplink latency: %(value)s ms",
        lambda f: {"value": _num(f["value"])},
    ),
    "disk_full": (
        "Ổ đĩa {device} sắp đầy: {value:.0f}%",
        "Disk of {device} nearly full: {value:.0f}%",
        "Disk of %(device)s nearly full: %(value)s",
        lambda f: {"device": f["device"], "value": _pct(f["value"] / 100)},
    ),
    "smart_failing": (
        "Ổ cứng {device} báo lỗi SMART, cần thay",
        "A disk of {device} fails SMART: replace it",
        "A disk of %(device)s fails SMART: replace it",
        lambda f: {"device": f["device"]},
    ),
    "projector_lamp": (
        "Bóng đèn máy chiếu {device} sắp hết tuổi thọ ({value:.0%})",
        "Projector {device} lamp near end of life ({value:.0%})",
        "Projector %(device)s lamp near end of life (%(value)s)",
        lambda f: {"device": f["device"], "value": _pct(f["value"])},
    ),
    "projector_error": (
        "Máy chiếu {device} báo lỗi",
        "Projector {device} reports an error",
        "Projector %(device)s reports an error",
        lambda f: {"device": f["device"]},
    ),
    "lab_pcs_low": (
        "Phòng máy chỉ còn {value:.0f} máy hoạt động",
        "Only {value:.0f} lab PCs working",
        "Only %(value)s lab PCs working",
        lambda f: {"value": _num(f["value"])},
    ),
    "lan_host_unknown": (
        "Thiết bị lạ trong mạng trường: {mac}",
        "Unknown device on the school LAN: {mac}",
        "Unknown device on the school LAN: %(mac)s",
        lambda f: {"mac": f["mac"]},
    ),
}
OLD_KEYS = ("summary_vi", "summary_en")

incidents = sa.table(
    "incidents",
    sa.column("id", sa.Integer),
    sa.column("rule", sa.String),
    sa.column("school_id", sa.String),
    sa.column("device_id", sa.String),
    sa.column("summary", sa.Text),
    sa.column("summary_id", sa.String),
    sa.column("summary_args", sa.JSON),
    sa.column("details", sa.JSON),
)


def _fill(row: Any, details: dict[str, Any], device: object) -> dict[str, Any]:
    """The values the old texts were formatted with (conditions.add until 0005)."""
    value = details.get("value")
    fill = dict(details, device=device or "", school=row.school_id)
    fill["value"] = value if isinstance(value, int | float) and not isinstance(value, bool) else 0.0
    for k in ("type", "mac"):
        fill.setdefault(k, "")
    return fill


def _old_texts(rule: str, fill: dict[str, Any]) -> tuple[str, str] | None:
    vi, en, _, _ = TEXTS[rule]
    try:
        return vi.format(**fill), en.format(**fill)
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("summary_id", sa.String(255), nullable=True))
    op.add_column("incidents", sa.Column("summary_args", sa.JSON, nullable=True))
    conn = op.get_bind()
    for row in conn.execute(sa.select(incidents)).all():
        details = row.details if isinstance(row.details, dict) else {}
        if row.rule not in TEXTS:
            continue
        fill = _fill(row, details, row.device_id)
        texts = _old_texts(row.rule, fill)
        if texts is None or row.summary not in texts:
            continue  # not a text the rules wrote: kept as the literal
        message, args = TEXTS[row.rule][2:]
        conn.execute(
            sa.update(incidents)
            .where(incidents.c.id == row.id)
            .values(
                summary_id=message,
                summary_args=args(fill),
                summary=texts[1],
                details={k: v for k, v in details.items() if k not in OLD_KEYS},
            )
        )


def downgrade() -> None:
    conn = op.get_bind()
    by_id = {message: rule for rule, (_, _, message, _) in TEXTS.items()}
    rows = conn.execute(sa.select(incidents).where(incidents.c.summary_id.is_not(None))).all()
    for row in rows:
        rule = by_id.get(row.summary_id)
        args = row.summary_args if isinstance(row.summary_args, dict) else {}
        details = row.details if isinstance(row.details, dict) else {}
        if rule is None:
            continue  # a message 0005 did not know: its English literal stays
        fill = _fill(row, details, args.get("device", row.device_id))
        for k in ("type", "mac"):
            if isinstance(args.get(k), str):
                fill[k] = args[k]
        texts = _old_texts(rule, fill)
        if texts is None:
            continue
        conn.execute(
            sa.update(incidents)
            .where(incidents.c.id == row.id)
            .values(
                summary=texts[0], details=dict(details, summary_vi=texts[0], summary_en=texts[1])
            )
        )
    op.drop_column("incidents", "summary_args")
    op.drop_column("incidents", "summary_id")
