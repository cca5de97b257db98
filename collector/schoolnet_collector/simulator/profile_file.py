"""Reading a province profile: a built-in name or a YAML file, parsed into ``profile``'s
dataclasses and checked by ``profile_checks``; every problem raises ``ProfileError`` naming the
key (``levels[1].lab_pcs``)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from schoolnet_collector.simulator.profile import (
    COUNT_KEYS,
    LINK_KEYS,
    YEAR_KEYS,
    Behaviour,
    Connectivity,
    District,
    Level,
    Profile,
)
from schoolnet_collector.simulator.profile_checks import check_profile
from schoolnet_collector.simulator.schema_reader import Node, ProfileError

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


def load_profile(name_or_path: str) -> Profile:
    path = resolve_profile(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError("", f"{path} is not valid YAML: {exc}") from None
    return check_profile(parse_profile(Node(data)))


def parse_profile(root: Node) -> Profile:
    fmt = root.get("format")
    if fmt.value != 1:
        fmt.fail(f"this simulator reads profile format 1, got {fmt.value!r}")
    prov = root.get("province")
    districts = tuple(
        District(
            d.get("id").text(),
            d.get("code").text(),
            d.get("name").text(),
            d.get("weight").number(low=1e-9),
            d.get("remote", False).flag(),
        )
        for d in root.get("districts").elements()
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
    as_of = prov.get("as_of")
    if not re.fullmatch(r"(19|20)\d\d(-\d\d)?", str(as_of.value)):
        as_of.fail(f'must be a year or year-month like "2018-02", got {as_of.value!r}')
    return Profile(
        prov.get("id").text(),
        prov.get("name").text(),
        prov.get("id_prefix").text(),
        prov.get("timezone").text(),
        int(str(as_of.value)[:4]),
        districts,
        levels,
        totals,
        connectivity,
        years,
        _parse_behaviour(root.get("behaviour")),
    )


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
