"""How the planners' reports group schools: one place for every axis, so readiness and the
replacement plan (and their CSV, XLSX, API and page) cannot group differently.

Since 1 July 2025 a school sits on two axes at once: today's units (its province, its commune,
the body that runs it: the commune for Mầm non / Tiểu học / THCS, the Sở for THPT / GDTX) and
the units the old plans were written for (its district and province before the merger). A
report groups by any of :data:`AXES`; ``parse_group_by("commune,level")`` checks a request.

A school without a commune is never dropped and never counted in another commune: it is in
the group :data:`UNASSIGNED` ("Chưa gán xã") of every commune grouping, so a commune grouping's
schools always add up to the report's. A school whose managing body neither its row nor its
level says (a multi-level school imported before the commune column) is in the group
``unassigned`` of the managing-body grouping, for the same reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from schoolnet_collector.i18n import NP_, Text
from schoolnet_collector.planning.labels import LEVEL_ORDER, level_name
from schoolnet_collector.planning.period import ReportArgumentError
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.units import (
    MANAGING_BODIES,
    MANAGING_BODY_LABELS,
    UNASSIGNED as NO_COMMUNE,
    UNASSIGNED_ID,
    managing_body as body_of,
)

AXES = ("province", "managing_body", "commune", "level", "legacy_district", "legacy_province")
"""Every grouping a report offers, in the order its groups are listed."""
PLURAL = {
    "province": "provinces",
    "managing_body": "managing_bodies",
    "commune": "communes",
    "level": "levels",
    "legacy_district": "legacy_districts",
    "legacy_province": "legacy_provinces",
}
"""The JSON key of each grouping's list (``managing_bodies``: the API's name for it)."""
DEFAULT_GROUP_BY = ("managing_body", "level", "legacy_district")
"""Without ``group_by``: who runs the schools, their levels, and the old districts the plans
still name (what the reports showed before the communes). Communes are one ``group_by`` away;
a province has about a hundred of them."""

UNASSIGNED = UNASSIGNED_ID
"""The id of the group of schools not yet placed on an axis (no commune, no managing body)."""
NO_BODY = NP_("managing body", "Not known")

T = TypeVar("T")


class GroupByError(ReportArgumentError):
    """A ``group_by`` that is not one of :data:`AXES`; the message lists them."""


def parse_group_by(text: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"commune,level"`` (or a list of such parts) as axes, in the order asked, each once;
    None or empty: :data:`DEFAULT_GROUP_BY`. An unknown axis raises :class:`GroupByError`."""
    if text is None:
        return DEFAULT_GROUP_BY
    parts = [text] if isinstance(text, str) else list(text)
    axes: list[str] = []
    for part in parts:
        for item in part.split(","):
            axis = item.strip()
            if not axis:
                continue
            if axis not in AXES:
                raise GroupByError(
                    f"group_by {axis[:40]!r}: expected one or more of {', '.join(AXES)} "
                    "(comma-separated)"
                )
            if axis not in axes:
                axes.append(axis)
    return tuple(axes) or DEFAULT_GROUP_BY


@dataclass(frozen=True)
class Place:
    """Where one school is on every axis (ids; ``unassigned`` where it has none yet)."""

    province: str
    managing_body: str
    commune: str
    level: str
    legacy_district: str
    legacy_province: str

    def on(self, axis: str) -> str:
        value: str = getattr(self, axis)
        return value


def place(school: School) -> Place:
    return Place(
        province=school.province,
        managing_body=body_of(school) or UNASSIGNED,
        commune=school.commune or UNASSIGNED,
        level=school.level,
        legacy_district=school.legacy_district,
        legacy_province=school.legacy_province or school.province,
    )


@dataclass(frozen=True)
class Names:
    """The names groups are shown with: units by code from the registry, the old districts'
    names from the school file where the registry has no such unit yet."""

    units: Mapping[str, str]
    districts: Mapping[str, str]

    def name(self, axis: str, ident: str, lang: str = "vi") -> str:
        label = self.label(axis, ident)
        if label is not None:
            return label.translate(lang)
        if axis == "legacy_district":
            return self.units.get(ident) or self.districts.get(ident) or ident
        return self.units.get(ident, ident)

    @staticmethod
    def label(axis: str, ident: str) -> Text | None:
        """A group named by the catalogue (levels, managing bodies, unassigned), else None."""
        if axis == "managing_body":
            return MANAGING_BODY_LABELS.get(ident) or (NO_BODY if ident == UNASSIGNED else None)
        if axis == "commune" and ident == UNASSIGNED:
            return NO_COMMUNE
        return None


def names(units: Mapping[str, str], schools: Iterable[School]) -> Names:
    """Names for the groups of ``schools``; ``units``: the registry's unit names by code."""
    districts = {s.legacy_district: s.district_name for s in schools if s.district_name}
    return Names(units, districts)


def translated(axis: str, ident: str, name: str, lang: str) -> str:
    """A group's name in ``lang``: the catalogue's words where it has them, else ``name``."""
    if axis == "level":
        return level_name(ident, lang)
    label = Names.label(axis, ident)
    return label.translate(lang) if label is not None else name


def _rank(axis: str, ident: str) -> tuple[int, str]:
    if ident == UNASSIGNED:
        return (2, "")  # last: what is still to place
    if axis == "level":
        return (0, f"{LEVEL_ORDER.index(ident):03d}" if ident in LEVEL_ORDER else f"999{ident}")
    if axis == "managing_body":
        return (0, str(MANAGING_BODIES[::-1].index(ident)) if ident in MANAGING_BODIES else ident)
    return (0, ident)


def partition(
    items: Iterable[T], axis: str, place_of: Callable[[T], Place]
) -> list[tuple[str, list[T]]]:
    """``items`` split by their place on ``axis``: (id, members) in the order groups are
    listed (levels by level, the Sở before the communes, others by id, ``unassigned`` last).
    Every item is in exactly one group."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(place_of(item).on(axis), []).append(item)
    return sorted(groups.items(), key=lambda kv: _rank(axis, kv[0]))
