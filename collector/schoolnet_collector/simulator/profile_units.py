"""Today's units in a profile (format 2): each district's communes, the old provinces, and the
checks that keep them importable as the registry's units file.

The profile's communes, districts, old provinces and province become one units file
(``export.write_units``) whose codes share one name space, so a commune code that is also a
district's id, or one code given to two communes, would be refused by ``units import`` long
after the profile was written. The profile refuses it first, naming the entry. The simulator
stands outside the collector (it may not import the registry), so the unit types are spelled
here; ``tests/collector/simulator/test_export.py`` imports the result into a real registry.
"""

from __future__ import annotations

import re
import unicodedata

from schoolnet_agent.protocol.topics import ID_RE
from schoolnet_collector.simulator.profile import Commune, Profile
from schoolnet_collector.simulator.schema_reader import Node, ProfileError

COMMUNE_TYPES = {"xa": "xa", "xã": "xa", "phuong": "phuong", "phường": "phuong"}
COMMUNE_TYPES |= {"dac_khu": "dac_khu", "đặc khu": "dac_khu"}
DISTRICT_TYPES = {"huyen": "huyen", "huyện": "huyen", "thi_xa": "thi_xa", "thị xã": "thi_xa"}
DISTRICT_TYPES |= {
    "thanh_pho_thuoc_tinh": "thanh_pho_thuoc_tinh",
    "thành phố thuộc tỉnh": "thanh_pho_thuoc_tinh",
}
UNIT_CODE_RULE = "is not a unit code (lowercase letters, digits, '-' or '_', at most 63)"
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _kind(node: Node, known: dict[str, str], what: str) -> str:
    value = node.value
    kind = None
    if isinstance(value, str):
        kind = known.get(unicodedata.normalize("NFC", value).strip().lower())
    if kind is None:
        names = sorted(set(known.values()))
        node.fail(f"{value!r} is not a {what} type; use {', '.join(names)}")
    return kind


def parse_district_type(node: Node) -> str:
    return _kind(node, DISTRICT_TYPES, "former district")


def _name(node: Node) -> str:
    name = unicodedata.normalize("NFC", node.text()).strip()
    if CONTROL.search(name) or len(name) > 200:
        node.fail(f"{name!r}: one line of at most 200 characters")
    return name


def parse_communes(node: Node, made_up: bool) -> tuple[Commune, ...]:
    """A district's communes: ``[{code, name, type}]``, non-empty; ``made_up`` marks names
    that were invented (an entry may say ``made_up`` itself)."""
    out = []
    for c in node.elements():
        code = c.get("code")
        if not isinstance(code.value, str) or not ID_RE.match(code.value):
            code.fail(f"{code.value!r} {UNIT_CODE_RULE}")
        out.append(
            Commune(
                code.value,
                _name(c.get("name")),
                _kind(c.get("type"), COMMUNE_TYPES, "commune"),
                c.get("made_up", made_up).flag(),
            )
        )
    return tuple(out)


def check_units(profile: Profile) -> None:
    """Codes unique across the whole profile, old provinces and prefixes distinct."""
    if not profile.two_tier:
        return
    merged = bool(profile.parts)
    owners: dict[str, str] = {profile.province_id: "the province"}
    prefixes: dict[str, str] = {}
    for i, part in enumerate(profile.fleets()):
        where = f"legacy_provinces[{i}]" if merged else "legacy_province"
        legacy = part.legacy_province
        assert legacy is not None  # two-tier: every part has one
        if not ID_RE.match(legacy.id):
            raise ProfileError(f"{where}.id", f"{legacy.id!r} {UNIT_CODE_RULE}")
        _claim(owners, legacy.id, f"{where}.id", f"the old province {where}")
        if merged:
            if part.id_prefix in prefixes:
                raise ProfileError(
                    f"{where}.id_prefix",
                    f"{part.id_prefix!r} is already the prefix of {prefixes[part.id_prefix]}: "
                    "school ids would clash",
                )
            prefixes[part.id_prefix] = where
        base = f"{where}." if merged else ""
        for j, d in enumerate(part.districts):
            _claim(owners, d.id, f"{base}districts[{j}].id", f"district {base}districts[{j}]")
        for j, d in enumerate(part.districts):
            for k, c in enumerate(d.communes):
                key = f"{base}districts[{j}].communes[{k}]"
                _claim(owners, c.code, f"{key}.code", f"commune {key} ({c.name!r})")


def _claim(owners: dict[str, str], code: str, key: str, owner: str) -> None:
    earlier = owners.get(code)
    if earlier is None:
        owners[code] = owner
        return
    raise ProfileError(key, _clash(code, earlier, owner))


def _clash(code: str, earlier: str, owner: str) -> str:
    if earlier.startswith("commune ") and owner.startswith("commune "):
        same = earlier.split(" (", 1)[1] == owner.split(" (", 1)[1]
        how = "appears twice" if same else "reused with another name"
        return f"commune code {code!r} {how}: already {earlier}"
    return f"{code!r} is already the code of {earlier}; units share one code space"
