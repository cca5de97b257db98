"""Consistency checks on a parsed profile: figures that cannot all be true are refused.

A typo in a hand-edited profile (more lab schools than schools, 3G operators that do not add
up to the 3G schools) would otherwise produce a fleet that silently disagrees with the source.
Each check names the key to fix.
"""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schoolnet_agent.protocol.topics import ID_RE
from schoolnet_collector.simulator.profile import COUNT_KEYS, LINK_KEYS, Level, Profile
from schoolnet_collector.simulator.schema_reader import ProfileError

CODE_RE = re.compile(r"^[a-z0-9]{1,8}$")
CODE_RULE = "use 1-8 lowercase letters or digits (it becomes part of school ids)"
LEVEL_ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def check_profile(p: Profile, where: str = "") -> Profile:
    """``p`` if its figures can all be true. ``where``: the old province's key in a merged
    file (``legacy_provinces[1]``), put before the keys of its own entries."""
    try:
        return _check(p)
    except ProfileError as exc:
        if not where or exc.key in ("province.id", "province.timezone"):
            raise
        key = exc.key.removeprefix("province.")
        raise ProfileError(f"{where}.{key}", exc.problem) from None


def _check(p: Profile) -> Profile:
    if not ID_RE.match(p.province_id):
        raise ProfileError("province.id", f"{p.province_id!r} is not a valid id")
    if not CODE_RE.match(p.id_prefix):
        raise ProfileError("province.id_prefix", f"{p.id_prefix!r}: {CODE_RULE}")
    try:
        ZoneInfo(p.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ProfileError("province.timezone", f"unknown time zone {p.timezone!r}") from None
    _unique("districts", [d.id for d in p.districts], "id")
    _unique("districts", [d.code for d in p.districts], "code")
    _unique("levels", [lv.id for lv in p.levels], "id")
    _unique("levels", [lv.code for lv in p.levels], "code")
    for i, d in enumerate(p.districts):
        if not ID_RE.match(d.id):
            raise ProfileError(f"districts[{i}].id", f"{d.id!r} is not a valid id")
        if not CODE_RE.match(d.code):
            raise ProfileError(f"districts[{i}].code", f"{d.code!r}: {CODE_RULE}")
    for i, level in enumerate(p.levels):
        check_level(level, f"levels[{i}]")
    for key, total in p.totals.items():
        if key not in COUNT_KEYS:
            raise ProfileError(f"totals.{key}", f"unknown figure; known: {', '.join(COUNT_KEYS)}")
        got = sum(lv.counts[key] for lv in p.levels)
        if got != total:
            raise ProfileError(f"totals.{key}", f"the levels add up to {got}, not {total}")
    _check_connectivity(p)
    return p


def check_level(lv: Level, where: str) -> None:
    c = lv.counts
    if not LEVEL_ID_RE.match(lv.id):
        raise ProfileError(f"{where}.id", f"{lv.id!r}: use lowercase letters, digits and '_'")
    if not CODE_RE.match(lv.code):
        raise ProfileError(f"{where}.code", f"{lv.code!r}: {CODE_RULE}")
    try:
        lv.name_template.format(n=1, district="X")
    except (KeyError, IndexError, ValueError) as exc:
        raise ProfileError(
            f"{where}.name_template", f"may use only {{n}} and {{district}} ({exc!r})"
        ) from None
    _require(
        c["schools_with_lab"] <= c["schools"],
        f"{where}.schools_with_lab",
        f"{c['schools_with_lab']} is more than schools ({c['schools']})",
    )
    _require(
        c["lab_rooms"] >= c["schools_with_lab"],
        f"{where}.lab_rooms",
        f"{c['lab_rooms']} is fewer than schools_with_lab ({c['schools_with_lab']}): "
        "each lab school has a room",
    )
    _require(
        c["schools_with_lab"] > 0 or c["lab_rooms"] == 0,
        f"{where}.lab_rooms",
        "lab rooms but no school with a lab",
    )
    low, high = lv.lab_pcs_per_room
    if not low * c["lab_rooms"] <= c["lab_pcs"] <= high * c["lab_rooms"]:
        raise ProfileError(
            f"{where}.lab_pcs",
            f"{c['lab_pcs']} PCs cannot fill {c['lab_rooms']} "
            f"rooms of {low}-{high} PCs (lab_pcs_per_room)",
        )
    _require(
        c["lab_rooms_before_2010"] <= c["lab_rooms"],
        f"{where}.lab_rooms_before_2010",
        f"{c['lab_rooms_before_2010']} is more than lab_rooms ({c['lab_rooms']})",
    )
    links = sum(lv.links[k] for k in LINK_KEYS)
    _require(
        links <= c["schools"],
        f"{where}.connectivity",
        f"none + cellular + dual_fixed = {links} is more than schools ({c['schools']})",
    )


def _check_connectivity(p: Profile) -> None:
    conn = p.connectivity
    schools = sum(lv.counts["schools"] for lv in p.levels)
    none = sum(lv.links["none"] for lv in p.levels)
    if conn.with_internet != schools - none:
        raise ProfileError(
            "connectivity.with_internet",
            f"{conn.with_internet}, but {schools} schools minus {none} without "
            f"internet (levels' connectivity.none) is {schools - none}",
        )
    for key in ("cellular", "dual_fixed"):
        got = sum(lv.links[key] for lv in p.levels)
        if getattr(conn, key) != got:
            raise ProfileError(
                f"connectivity.{key}",
                f"{getattr(conn, key)}, but the levels' connectivity.{key} add up to {got}",
            )
    if sum(conn.cellular_isps.values()) != conn.cellular:
        raise ProfileError(
            "connectivity.cellular_isps",
            f"add up to {sum(conn.cellular_isps.values())}, not {conn.cellular}",
        )
    if not sum(conn.single_fixed_isp_weights.values()):
        raise ProfileError("connectivity.single_fixed_isp_weights", "must not all be 0")


def _require(ok: bool, key: str, problem: str) -> None:
    if not ok:
        raise ProfileError(key, problem)


def _unique(where: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for i, v in enumerate(values):
        if v in seen:
            raise ProfileError(f"{where}[{i}].{key}", f"duplicate {key} {v!r}")
        seen.add(v)
