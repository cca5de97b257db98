"""The two tiers of local government since 1 July 2025, as the registry knows them.

A province (tỉnh / thành phố) holds communes (xã / phường / đặc khu); districts (huyện, thị
xã, thành phố thuộc tỉnh) and the provinces merged away (tỉnh cũ) stay as *legacy* units,
because the old plans and their targets still name them. Who runs a school follows its level:
the commune's People's Committee for Mầm non, Tiểu học and THCS, the Sở for THPT and GDTX. A
school of several levels (TH&THCS, THCS&THPT) has no rule and says which in its own row.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from schoolnet_collector import i18n
from schoolnet_collector.core.access import Scope
from schoolnet_collector.registry.models import School, Unit

PROVINCE_TYPES = ("tinh", "thanh_pho")
COMMUNE_TYPES = ("xa", "phuong", "dac_khu")
LEGACY_DISTRICT_TYPES = ("huyen", "thi_xa", "thanh_pho_thuoc_tinh")
LEGACY_PROVINCE_TYPES = ("tinh_cu",)
UNIT_TYPES = PROVINCE_TYPES + COMMUNE_TYPES + LEGACY_DISTRICT_TYPES + LEGACY_PROVINCE_TYPES

PARENT_TYPES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(PROVINCE_TYPES, ()),
    **dict.fromkeys(COMMUNE_TYPES, PROVINCE_TYPES),
    **dict.fromkeys(LEGACY_DISTRICT_TYPES, LEGACY_PROVINCE_TYPES),
    # An old province may name the province it was merged into; it need not.
    **dict.fromkeys(LEGACY_PROVINCE_TYPES, PROVINCE_TYPES),
}
"""The types a unit's parent may have; () means it has none. A district sits under its old
province, never under today's: that is how an old plan's area is found."""
PARENT_OPTIONAL = frozenset(LEGACY_PROVINCE_TYPES)

TYPE_LABELS = {
    "tinh": i18n.NP_("unit type", "Province"),
    "thanh_pho": i18n.NP_("unit type", "Centrally-run city"),
    "xa": i18n.NP_("unit type", "Commune"),
    "phuong": i18n.NP_("unit type", "Ward"),
    "dac_khu": i18n.NP_("unit type", "Special zone"),
    "huyen": i18n.NP_("unit type", "District (before 2025)"),
    "thi_xa": i18n.NP_("unit type", "District-level town (before 2025)"),
    "thanh_pho_thuoc_tinh": i18n.NP_("unit type", "Provincial city (before 2025)"),
    "tinh_cu": i18n.NP_("unit type", "Former province"),
}

MANAGING_BODIES = ("commune", "province")
MANAGING_BODY_LABELS = {
    "commune": i18n.NP_("managing body", "Commune"),
    "province": i18n.NP_("managing body", "Department of Education (Sở)"),
}
UNASSIGNED = i18n.NP_("commune", "Unassigned")
"""What a school without a commune is called wherever it is counted ("chưa gán xã")."""
UNASSIGNED_ID = "unassigned"
"""The id standing for "not placed yet" (no commune, no managing body): the report group's id
and the InfluxDB tag value, so both select the same schools."""

BODY_BY_LEVEL = {
    "mam_non": "commune",
    "tieu_hoc": "commune",
    "thcs": "commune",
    "thpt": "province",
    "gdtx": "province",
}
"""Levels missing here (``lien_cap``, ``other``) have no rule: the school's row must say."""


def managing_body(school: School) -> str | None:
    """Who runs the school: its own override, else its level's rule; None when neither says."""
    return school.managing_body_override or BODY_BY_LEVEL.get(school.level)


def runs_school(commune: str, school: School) -> bool:
    """Whether ``commune`` runs ``school``: the school stands in it and is commune-run. A THPT
    standing in the commune is the Sở's, so a commune's token and escalations leave it out."""
    return school.commune == commune and managing_body(school) == "commune"


def commune_run() -> ColumnElement[bool]:
    """``managing_body(school) == "commune"`` as a where-clause."""
    by_level = [level for level, body in BODY_BY_LEVEL.items() if body == "commune"]
    return or_(
        School.managing_body_override == "commune",
        and_(School.managing_body_override.is_(None), School.level.in_(by_level)),
    )


def in_scope(scope: Scope, school: School) -> bool:
    """Whether ``school`` is within ``scope`` (see ``scope_filter``)."""
    if scope.kind == "province":
        return True
    if scope.kind == "commune":
        return scope.id is not None and (
            runs_school(scope.id, school) or school.site_of == scope.id
        )
    if scope.kind == "school":
        return school.id == scope.id
    return False


def scope_filter(scope: Scope) -> ColumnElement[bool]:
    """The schools a scope covers, as a where-clause on ``School``: all for the province, the
    schools a commune runs (and its own office's site: ``registry.sites``) for a commune, one
    for a school. Any other kind (a district scope kept in an old token) covers nothing: never
    a wider guess. School figures also leave sites out: ``planning.scope.school_filter``."""
    if scope.kind == "province":
        return true()
    if scope.kind == "commune":
        return or_(and_(School.commune == scope.id, commune_run()), School.site_of == scope.id)
    if scope.kind == "school":
        return School.id == scope.id
    return false()


def unassigned_schools(session: Session) -> int:
    """Schools with no commune yet: reported as "chưa gán xã", never left out of a count. A
    site of a unit is no school waiting for its commune (``registry.sites``)."""
    query = select(func.count(School.id)).where(School.commune.is_(None), School.site_of.is_(None))
    return session.scalar(query) or 0


def communes(session: Session) -> dict[str, Unit]:
    """Every commune-level unit in the registry, by code."""
    query = select(Unit).where(Unit.type.in_(COMMUNE_TYPES))
    return {u.code: u for u in session.scalars(query)}
