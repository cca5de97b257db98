"""Reading a province profile: a built-in name or a YAML file, parsed into ``profile``'s
dataclasses and checked by ``profile_checks``; every problem raises ``ProfileError`` naming the
key (``levels[1].lab_pcs``).

Two formats load. ``format: 1`` knows districts only. ``format: 2`` adds today's units: each
district's communes, the old province it belonged to (``legacy_province``), the plans, and a
merged province as several old provinces (``legacy_provinces``). Any other format is refused
by name, so an older simulator never half-reads a newer file."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import yaml

from schoolnet_collector.simulator.profile import (
    COUNT_KEYS,
    LINK_KEYS,
    YEAR_KEYS,
    Behaviour,
    Commune,
    Connectivity,
    District,
    LegacyProvince,
    Level,
    Profile,
)
from schoolnet_collector.simulator.profile_checks import check_profile
from schoolnet_collector.simulator.profile_plans import parse_plans
from schoolnet_collector.simulator.profile_units import (
    check_units,
    parse_communes,
    parse_district_type,
)
from schoolnet_collector.simulator.schema_reader import Node, ProfileError

FORMATS = (1, 2)

PROFILE_DIR = Path(__file__).resolve().parent.parent / "profiles"


def builtin_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.yaml"))


def resolve_profile(name_or_path: str) -> Path:
    """A built-in profile name (``lao-cai-2018``) or a path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or "/" in name_or_path:
        if not path.is_file():
            raise ProfileError("", f"profile file {name_or_path} does not exist")
        return path
    candidate = PROFILE_DIR / f"{name_or_path}.yaml"
    if not candidate.is_file():
        raise ProfileError(
            "",
            f"unknown profile {name_or_path!r}; built-in profiles: "
            f"{', '.join(builtin_profiles())} (or give a path to a .yaml file)",
        )
    return candidate


def _read(path: Path) -> Node:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError("", f"{path} is not valid YAML: {exc}") from None
    return Node(data)


def load_profile(name_or_path: str) -> Profile:
    path = resolve_profile(name_or_path)
    root = _read(path)
    fmt = root.get("format")
    if fmt.value not in FORMATS or isinstance(fmt.value, bool):
        fmt.fail(
            f"this simulator reads profile formats {' and '.join(map(str, FORMATS))}, "
            f"got {fmt.value!r}"
        )
    if fmt.value == 2 and root.get("legacy_provinces", None).value is not None:
        profile = _parse_merged(root, path.parent)
    else:
        profile = check_profile(parse_profile(root))
    check_units(profile)
    plans = parse_plans(root.get("plans", None), profile)
    return replace(profile, plans=plans) if plans else profile


def parse_profile(root: Node, inherited: Node | None = None) -> Profile:
    """One old province's profile. ``inherited``: the merged file's root, whose ``province``
    (time zone, as-of date) and ``behaviour`` an inline old province shares."""
    fmt = (inherited or root).get("format")
    two_tier = fmt.value == 2
    made_up = root.get("made_up", False).flag()
    prov = root.get("province") if inherited is None else inherited.get("province")
    districts = tuple(
        _parse_district(d, two_tier, made_up) for d in root.get("districts").elements()
    )
    levels = tuple(_parse_level(n) for n in root.get("levels").elements())
    totals_node = root.get("totals", None)
    totals = totals_node.counts() if totals_node.value is not None else {}
    conn = root.get("connectivity")
    dual = conn.get("dual_fixed_isps")
    if not (
        isinstance(dual.value, list)
        and len(dual.value) == 2
        and all(isinstance(x, str) and x for x in dual.value)
        and dual.value[0] != dual.value[1]
    ):
        dual.fail(f"must be a list of two different ISP names, got {dual.value!r}")
    connectivity = Connectivity(
        conn.get("with_internet").count(),
        conn.get("cellular").count(),
        conn.get("dual_fixed").count(),
        conn.get("cellular_isps").counts(),
        (dual.value[0], dual.value[1]),
        conn.get("single_fixed_isp_weights").counts(),
    )
    years_node = root.get("equipment_years")
    years = {k: years_node.get(k).int_range(1980, 2100) for k in YEAR_KEYS}
    legacy = None
    if inherited is not None:
        legacy = _parse_legacy(root, made_up)
    elif two_tier:
        block = root.get("legacy_province", None)
        legacy = (
            _parse_legacy(block, False)
            if block.value is not None
            else LegacyProvince(
                f"{prov.get('id').text()}-cu"[:63], f"{prov.get('name').text()} (cũ)"
            )
        )
    behaviour = (inherited or root).get("behaviour")
    return Profile(
        prov.get("id").text(),
        prov.get("name").text(),
        (root if inherited is not None else prov).get("id_prefix").text(),
        prov.get("timezone").text(),
        _as_of_year(prov.get("as_of")),
        districts,
        levels,
        totals,
        connectivity,
        years,
        _parse_behaviour(behaviour),
        legacy,
    )


def _as_of_year(as_of: Node) -> int:
    if not re.fullmatch(r"(19|20)\d\d(-\d\d)?", str(as_of.value)):
        as_of.fail(f'must be a year or year-month like "2018-02", got {as_of.value!r}')
    return int(str(as_of.value)[:4])


def _parse_legacy(node: Node, made_up: bool) -> LegacyProvince:
    return LegacyProvince(
        node.get("id").text(), node.get("name").text(), node.get("made_up", made_up).flag()
    )


def _parse_district(node: Node, two_tier: bool, made_up: bool) -> District:
    communes: tuple[Commune, ...] = ()
    if two_tier:
        communes = parse_communes(node.get("communes"), node.get("made_up", made_up).flag())
    return District(
        node.get("id").text(),
        node.get("code").text(),
        node.get("name").text(),
        node.get("weight").number(low=1e-9),
        node.get("remote", False).flag(),
        parse_district_type(node.get("type", "huyen")) if two_tier else "huyen",
        communes,
    )


def _parse_merged(root: Node, folder: Path) -> Profile:
    """A merged province: one part per old province, inline or ``from`` a built-in or file
    profile (whose figures are then taken whole), all under ``province``'s id."""
    prov = root.get("province")
    parts: list[Profile] = []
    for node in root.get("legacy_provinces").elements():
        source = node.get("from", None)
        if source.value is not None:
            part = _from_profile(source, folder)
        else:
            part = check_profile(parse_profile(node, root), node.path)
        parts.append(part)
    first = parts[0]
    return Profile(
        prov.get("id").text(),
        prov.get("name").text(),
        first.id_prefix,
        prov.get("timezone").text(),
        _as_of_year(prov.get("as_of")),
        tuple(d for p in parts for d in p.districts),
        tuple({lv.id: lv for p in parts for lv in p.levels}.values()),
        {},
        first.connectivity,
        first.years,
        _parse_behaviour(root.get("behaviour")),
        None,
        tuple(replace(p, province_id=prov.get("id").text()) for p in parts),
    )


def _from_profile(source: Node, folder: Path) -> Profile:
    """An old province's figures taken from another profile, unchanged: a built-in name, or
    a file path relative to the merged file's folder."""
    name = source.text()
    try:
        is_path = name.endswith((".yaml", ".yml")) or "/" in name
        root = _read(resolve_profile(str(folder / name) if is_path else name))
        fmt = root.get("format")
        if fmt.value != 2 or root.get("legacy_provinces", None).value is not None:
            source.fail(f"{name!r} must be a format 2 profile of one old province")
        return check_profile(parse_profile(root))
    except ProfileError as exc:
        if exc.key.startswith(source.path):
            raise
        raise ProfileError(source.path, f"{name}: {exc}") from None


def _parse_level(node: Node) -> Level:
    links = node.get("connectivity")
    return Level(
        node.get("id").text(),
        node.get("code").text(),
        node.get("name").text(),
        node.get("name_template").text(),
        {k: node.get(k).count() for k in COUNT_KEYS},
        node.get("lab_pcs_per_room").int_range(1, 1000),
        {k: links.get(k, 0).count() for k in LINK_KEYS},
    )


def _parse_behaviour(node: Node) -> Behaviour:
    broken = node.get("broken_share")
    outage = node.get("outage_per_day")
    return Behaviour(
        broken.get("lab_pc_before_2010").number(0, 1),
        broken.get("other").number(0, 1),
        node.get("failover_per_day").number(),
        node.get("failover_minutes").number_range(0.01, 1e5),
        {k: outage.get(k, 0).number() for k in ("fibre", "cellular")},
        node.get("outage_minutes").number_range(0.01, 1e5),
        node.get("spool_max_reports").count(),
        node.get("school_day").int_range(0, 24),
    )
