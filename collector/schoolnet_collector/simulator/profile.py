"""A province profile: the fleet's figures as data, so another province is another YAML file.

These frozen dataclasses are what the fleet generator reads; ``profile_file.load_profile`` fills
them from a file and ``profile_checks`` refuses figures that cannot all be true. The format is
documented in ``profiles/README.md``.
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
class District:
    id: str
    code: str
    name: str
    weight: float
    remote: bool


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
