"""Both reports as plain tables (title, headers, rows), in Vietnamese or English.

The CSV, XLSX and text writers only lay tables out; what a report contains is decided here,
once, so the three formats cannot disagree. ``readiness_tables`` and ``procurement_tables``
return the summary table first (the one CSV writes), then one table per level of school,
then (procurement) the devices to replace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from schoolnet_collector.i18n import format_datetime, format_vnd, gettext
from schoolnet_collector.planning import labels
from schoolnet_collector.planning.grouping import partition, translated
from schoolnet_collector.planning.labels import column, level_name, word
from schoolnet_collector.planning.plans import DEFAULT_PLAN_ID, DEFAULT_PLAN_NAME
from schoolnet_collector.planning.procurement import (
    Needs,
    ProcurementPlan,
    SchoolNeeds,
    device_dict,
)
from schoolnet_collector.planning.readiness import Readiness, SchoolReadiness

Cell = str | int | float | None
"""One cell: text, a figure, or nothing (shown as empty, or a dash on the terminal)."""


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # shown under the table (XLSX, text)
    lang: str = "vi"  # the language of the words, and of the numbers when shown as text
    years: frozenset[int] = frozenset()  # columns whose numbers are years: 2019, not 2.019


def _yes(flag: bool, lang: str) -> str:
    return labels.YES_NO[bool(flag)].translate(lang)


def _group_name(kind: str, ident: str, name: str, lang: str) -> str:
    if kind == "province" and ident == "province":  # the total; a province group has a name
        return column("province", lang)
    if kind == "plan" and ident == DEFAULT_PLAN_ID:
        return DEFAULT_PLAN_NAME.translate(lang)
    return translated(kind, ident, name, lang)


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
        lang=lang,
        years=frozenset({9}),
    )
    for g in r.groups():
        for i in g.indicators:
            t = i.target
            summary.rows.append(
                [
                    word(labels.GROUP_KINDS, g.kind, lang),
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
        gettext(
            lang,
            "Scope: %(scope)s; %(start)s – %(end)s (%(period)s); as of %(year)s",
            scope=r.scope,
            start=format_datetime(r.period.start, lang),
            end=format_datetime(r.period.end, lang),
            period=r.period.text,
            year=str(r.as_of),
        )
    )
    summary.notes.append(
        gettext(lang, "Measured against the targets of plan %(plan)s", plan=r.plan)
    )
    out = [summary]
    heads = [
        c("id"),
        c("name"),
        c("district"),
        c("students"),
        c("uplink"),
        labels.INDICATORS["availability"].translate(lang) + " (%)",
        labels.INDICATORS["rtt_ms"].translate(lang),
        labels.INDICATORS["loss_percent"].translate(lang),
        c("lab_pcs_on_record"),
        c("lab_pcs_working"),
        c("working_lab"),
        c("pcs_on_record"),
        c("pcs_working"),
        c("projectors_record"),
        c("boards_record"),
        c("auto_inventoried"),
        c("meeting_point"),
    ]
    for level, members in partition(r.schools, "level", SchoolReadiness.place):
        table = Table(level_name(level, lang), heads, lang=lang)
        for s in members:
            table.rows.append(
                [
                    s.id,
                    s.name,
                    s.district_name,
                    s.students,
                    word(labels.UPLINKS, s.uplink, lang),
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
    summary = Table(
        c("summary"),
        [c("group"), c("id"), c("name"), *needs_heads],
        lang=lang,
        years=frozenset({1}),
    )
    kind: Callable[[str], str] = lambda k: labels.GROUP_KINDS[k].translate(lang)  # noqa: E731
    summary.rows.append(
        [
            kind("province") if p.scope == "province" else p.scope,
            p.scope,
            column("province", lang) if p.scope == "province" else p.scope,
            *_needs_row(p.total),
        ]
    )
    for g in (g for axis in p.group_by for g in p.grouped[axis]):
        summary.rows.append(
            [kind(g.kind), g.id, _group_name(g.kind, g.id, g.name, lang), *_needs_row(g.needs)]
        )
    for h in p.horizon:
        summary.rows.append(
            [kind("year"), h.year, f"{c('horizon')} {h.year}", *_needs_row(h.needs)]
        )
    pr = p.prices
    summary.notes += [
        gettext(
            lang,
            "Assumed unit prices (%(as_of)s): %(prices)s. %(note)s",
            as_of=str(pr.as_of),
            prices=", ".join(
                f"{k} {format_vnd(v, lang)}" for k, v in pr.items.model_dump().items()
            ),
            note=pr.note,
        ),
        gettext(
            lang,
            "As of %(year)s; period %(period)s; devices of unknown age: %(unknown)s",
            year=str(p.as_of),
            period=p.period.text,
            unknown=p.unknown_age,
        ),
        gettext(lang, "Measured against the targets of plan %(plan)s", plan=p.plan),
    ]
    out = [summary]
    for level, members in partition(p.schools, "level", SchoolNeeds.place):
        t = Table(
            level_name(level, lang),
            [c("id"), c("name"), c("district"), c("students"), *needs_heads],
            lang=lang,
        )
        for s in (s for s in members if not s.needs.empty):
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
        lang=lang,
        years=frozenset({4}),
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
                labels.VERDICTS[d["verdict"]].translate(lang),
                "; ".join(x["text"] for x in d["reasons"]),
            ]
        )
    out.append(devices)
    return out
