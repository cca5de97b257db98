"""What every probe declares: fields whose names carry their unit, each described."""

from __future__ import annotations

import pytest

from schoolnet_agent.probes import PROBES
from schoolnet_agent.probes.base import SUFFIX_UNITS


@pytest.mark.parametrize("name", [r.name for r in PROBES])
def test_field_names_carry_their_unit(name):
    cls = PROBES.probe_class(name)
    assert cls.fields and cls.description
    names = [f.name for f in cls.fields]
    assert len(names) == len(set(names))
    for f in cls.fields:
        base = f.name.removesuffix("_total")
        if f.unit in SUFFIX_UNITS:
            assert base.endswith("_" + f.unit), f.name
        if f.unit == "count":
            assert f.name.endswith("_count"), f.name
        assert f.description, f.name
