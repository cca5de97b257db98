"""A province profile: the fleet's figures as data, so another province is another YAML file.

These frozen dataclasses are what the fleet generator reads; ``profile_file.load_profile`` fills
them from a file and ``profile_checks`` refuses figures that cannot all be true. The format is
documented in ``profiles/README.md``.

Since July 2025 a province is two tiers: communes under the province, the old districts and
old provinces kept as *legacy* units because the old plans name them. A ``Profile`` is the
figures of one old province (its districts, each with the communes its schools now sit in);
a merged province is a ``Profile`` whose ``parts`` are the old provinces' profiles, each
generated on its own so that its figures stay exactly those of its source.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNT_KEYS = (
    "schools",
    "schools_with_lab",
    "lab_rooms",
    "lab_pcs",
    "admin_pcs",
    "printers",
    "projectors",
    "boards",
    "cameras",
    "lab_rooms_before_2010",
)
LINK_KEYS = ("none", "cellular", "dual_fixed")
YEAR_KEYS = (
    "lab_before_2010",
    "lab_since_2010",
    "admin_pc",
    "projector",
    "board",
    "printer",
    "camera",
)


@dataclass(frozen=True)
class Commune:
    """A commune-level unit of today (xã, phường, đặc khu): its unit code, name and type."""

    code: str
    name: str
    type: str  # one of registry.units.COMMUNE_TYPES
    made_up: bool  # the name is invented (the real list was not at hand)


@dataclass(frozen=True)
class District:
    id: str
    code: str
    name: str
    weight: float
    remote: bool
    type: str = "huyen"  # one of registry.units.LEGACY_DISTRICT_TYPES
    communes: tuple[Commune, ...] = ()  # where its schools stand now; () in format 1


@dataclass(frozen=True)
class LegacyProvince:
    """An old province (tỉnh cũ): the area of its old plan."""

    id: str
    name: str
    made_up: bool = False


@dataclass(frozen=True)
class PlanEntry:
    """One of the Sở's plans: a targets file (``planning/targets.py``) as a mapping, ready to
    be written out for ``[planning] plans``."""

    id: str
    name: str
    area: str  # the province or a legacy province of the profile
    targets_file: dict[str, object]  # format, plan, targets (and parameters) of a targets file


@dataclass(frozen=True)
class Level:
    id: str
    code: str
    name: str
    name_template: str
    counts: dict[str, int]  # COUNT_KEYS -> figure
    lab_pcs_per_room: tuple[int, int]
    links: dict[str, int]  # LINK_KEYS -> number of schools


@dataclass(frozen=True)
class Connectivity:
    with_internet: int
    cellular: int
    dual_fixed: int
    cellular_isps: dict[str, int]
    dual_fixed_isps: tuple[str, str]
    single_fixed_isp_weights: dict[str, int]


@dataclass(frozen=True)
class Behaviour:
    broken_share_old_lab_pc: float
    broken_share_other: float
    failover_per_day: float
    failover_minutes: tuple[float, float]
    outage_per_day: dict[str, float]  # uplink type -> rate
    outage_minutes: tuple[float, float]
    spool_max_reports: int
    school_day: tuple[int, int]


@dataclass(frozen=True)
class Profile:
    province_id: str
    province_name: str
    id_prefix: str
    timezone: str
    as_of_year: int  # the year the figures describe: equipment ages count from it
    districts: tuple[District, ...]
    levels: tuple[Level, ...]
    totals: dict[str, int]
    connectivity: Connectivity
    years: dict[str, tuple[int, int]]
    behaviour: Behaviour
    legacy_province: LegacyProvince | None = None  # None: format 1 (no two-tier units)
    parts: tuple[Profile, ...] = ()  # a merged province: one profile per old province
    plans: tuple[PlanEntry, ...] = ()

    def fleets(self) -> tuple[Profile, ...]:
        """The old provinces whose schools make up the fleet: the parts, or this one."""
        return self.parts or (self,)

    def legacy_provinces(self) -> tuple[LegacyProvince, ...]:
        return tuple(p.legacy_province for p in self.fleets() if p.legacy_province is not None)

    @property
    def two_tier(self) -> bool:
        """Whether the profile places its schools in communes (format 2)."""
        return bool(self.legacy_provinces())
