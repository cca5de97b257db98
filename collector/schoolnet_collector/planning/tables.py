"""Both reports as plain tables (title, headers, rows), in Vietnamese or English.

The CSV, XLSX and text writers only lay tables out; what a report contains is decided here,
once, so the three formats cannot disagree. ``readiness_tables`` and ``procurement_tables``
return the summary table first (the one CSV writes), then one table per level of school,
then (procurement) the devices to replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from schoolnet_collector.planning import labels
from schoolnet_collector.planning.labels import column, level_name, pick
from schoolnet_collector.planning.procurement import Needs, ProcurementPlan, device_dict
from schoolnet_collector.planning.readiness import Readiness

Cell = str | int | float | None
"""One cell: text, a figure, or nothing (shown as empty, or a dash on the terminal)."""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown under the table (XLSX, text)


def _yes(flag: bool, lang: str) -> str:
    return ("Có" if flag else "Không") if lang == "vi" else ("yes" if flag else "no")


def _group_name(kind: str, ident: str, name: str, lang: str) -> str:
    if kind == "level":
        return level_name(ident, lang)
    if kind == "province":
        return column("province", lang)
    return name


def readiness_tables(r: Readiness, lang: str = "vi") -> list[Table]:
    c: Callable[[str], str] = lambda k: column(k, lang)  # noqa: E731
    summary = Table(
        c("summary"),
        [
            c("group"),
            c("id"),
            c("name"),
            c("indicator"),
            c("value"),
            c("unit"),
            c("numerator"),
            c("denominator"),
            c("target"),
            c("target_year"),
            c("gap"),
            c("source"),
        ],
    )
    for g in r.groups():
        for i in g.indicators:
            t = i.target
            summary.rows.append(
                [
                    pick(labels.GROUP_KINDS.get(g.kind, (g.kind, g.kind)), lang),
                    g.id,
                    _group_name(g.kind, g.id, g.name, lang),
                    i.label(lang),
                    i.value,
                    i.unit,
                    i.numerator,
                    i.denominator,
                    t.value if t else None,
                    t.year if t else None,
                    i.gap,
                    t.source if t else None,
                ]
            )
    summary.notes.append(
        f"{c('scope')}: {r.scope}; {r.period.start:%Y-%m-%d %H:%M} – "
        f"{r.period.end:%Y-%m-%d %H:%M} UTC ({r.period.text}); as of {r.as_of}"
    )
    out = [summary]
    heads = [
        c("id"),
        c("name"),
        c("district"),
        c("students"),
        c("uplink"),
        labels.pick(labels.INDICATORS["availability"], lang) + " (%)",
        labels.pick(labels.INDICATORS["rtt_ms"], lang),
        labels.pick(labels.INDICATORS["loss_percent"], lang),
        "PC phòng máy (hồ sơ)" if lang == "vi" else "Lab PCs on record",
        "PC phòng máy hoạt động" if lang == "vi" else "Lab PCs working",
        "Phòng máy hoạt động" if lang == "vi" else "Working lab",
        "Máy tính (hồ sơ)" if lang == "vi" else "PCs on record",
        "Máy tính hoạt động" if lang == "vi" else "PCs working",
        "Máy chiếu (hồ sơ / hoạt động)" if lang == "vi" else "Projectors (record / working)",
        "Bảng tương tác (hồ sơ / hoạt động)" if lang == "vi" else "Boards (record / working)",
        "Thiết bị có hồ sơ số" if lang == "vi" else "Devices auto-inventoried",
        "Điểm họp trực tuyến" if lang == "vi" else "Meeting point",
    ]
    for g in r.levels:
        table = Table(level_name(g.id, lang), heads)
        for s in (s for s in r.schools if s.level == g.id):
            table.rows.append(
                [
                    s.id,
                    s.name,
                    s.district_name,
                    s.students,
                    pick(labels.UPLINKS[s.uplink], lang),
                    s.availability_percent,
                    s.rtt_ms,
                    s.loss_percent,
                    s.lab_pcs_on_record,
                    s.lab_pcs_working,
                    _yes(s.has_working_lab, lang),
                    s.pcs_on_record,
                    s.pcs_working,
                    f"{s.projectors_on_record} / {s.projectors_working}",
                    f"{s.boards_on_record} / {s.boards_working}",
                    f"{s.devices_with_inventory} / {s.devices_on_record}",
                    _yes(s.meeting_point, lang),
                ]
            )
        out.append(table)
    return out


NEEDS_KEYS = ("pcs", "labs_replace", "labs_add", "projectors", "boards", "cost")


def _needs_row(n: Needs) -> list[Cell]:
    return [n.pcs, n.labs_replace, n.labs_add, n.projectors, n.boards, n.cost]


def procurement_tables(p: ProcurementPlan, lang: str = "vi") -> list[Table]:
    c: Callable[[str], str] = lambda k: column(k, lang)  # noqa: E731
    needs_heads = [c(k) for k in NEEDS_KEYS]
    summary = Table(c("summary"), [c("group"), c("id"), c("name"), *needs_heads])
    kind: Callable[[str], str] = lambda k: pick(labels.GROUP_KINDS[k], lang)  # noqa: E731
    summary.rows.append(
        [
            kind("province") if p.scope == "province" else p.scope,
            p.scope,
            column("province", lang) if p.scope == "province" else p.scope,
            *_needs_row(p.total),
        ]
    )
    for g in [*p.districts, *p.levels]:
        summary.rows.append(
            [kind(g.kind), g.id, _group_name(g.kind, g.id, g.name, lang), *_needs_row(g.needs)]
        )
    for h in p.horizon:
        summary.rows.append(
            [kind("year"), h.year, f"{c('horizon')} {h.year}", *_needs_row(h.needs)]
        )
    pr = p.prices
    summary.notes += [
        (
            f"Đơn giá giả định ({pr.as_of}): "
            if lang == "vi"
            else f"Assumed unit prices ({pr.as_of}): "
        )
        + ", ".join(f"{k} {v:,} VND" for k, v in pr.items.model_dump().items())
        + f". {pr.note}",
        (
            f"Năm tham chiếu {p.as_of}; kỳ {p.period.text}; thiết bị chưa rõ tuổi: {p.unknown_age}"
            if lang == "vi"
            else f"As of {p.as_of}; period {p.period.text}; devices of unknown age: {p.unknown_age}"
        ),
    ]
    out = [summary]
    for g in p.levels:
        t = Table(
            level_name(g.id, lang), [c("id"), c("name"), c("district"), c("students"), *needs_heads]
        )
        for s in (s for s in p.schools if s.level == g.id and not s.needs.empty):
            t.rows.append([s.id, s.name, s.district_name, s.students, *_needs_row(s.needs)])
        out.append(t)
    devices = Table(
        c("devices"),
        [
            c("school"),
            c("device"),
            c("kind"),
            c("room"),
            c("year"),
            c("age"),
            c("score"),
            c("verdict"),
            c("reasons"),
        ],
    )
    for a in p.flagged():
        d = device_dict(a, lang)
        devices.rows.append(
            [
                d["school"],
                d["device"],
                d["kind"],
                d["room"],
                d["year"],
                d["age_years"],
                d["score"],
                pick(labels.VERDICTS[d["verdict"]], lang),
                "; ".join(x["text"] for x in d["reasons"]),
            ]
        )
    out.append(devices)
    return out
