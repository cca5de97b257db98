"""Who runs a school (its level's rule, or its own row for a multi-level school) and the
units' names as operators read them, Vietnamese first."""

from __future__ import annotations

import pytest

from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.units import (
    MANAGING_BODY_LABELS,
    PARENT_TYPES,
    TYPE_LABELS,
    UNASSIGNED,
    UNIT_TYPES,
    managing_body,
)


@pytest.mark.parametrize(
    "level,override,body",
    [
        ("mam_non", None, "commune"),
        ("tieu_hoc", None, "commune"),
        ("thcs", None, "commune"),
        ("thpt", None, "province"),
        ("gdtx", None, "province"),
        ("lien_cap", None, None),  # TH&THCS or THCS&THPT: the level cannot say
        ("lien_cap", "province", "province"),
        ("thcs", "province", "province"),  # the school's own row wins
    ],
)
def test_managing_body_follows_the_level_unless_the_school_says(level, override, body):
    assert managing_body(School(id="s", level=level, managing_body_override=override)) == body


def test_every_type_has_a_parent_rule_and_a_vietnamese_name():
    assert set(PARENT_TYPES) == set(UNIT_TYPES) == set(TYPE_LABELS)
    assert TYPE_LABELS["xa"].translate("vi") == "Xã"
    assert TYPE_LABELS["tinh_cu"].translate("vi") == "Tỉnh cũ"
    assert MANAGING_BODY_LABELS["province"].translate("vi") == "Sở GDĐT"
    assert UNASSIGNED.translate("vi") == "Chưa gán xã"
    assert UNASSIGNED.translate("en") == "Unassigned"
