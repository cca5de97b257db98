"""Fixtures of the simulator's tests: profile files edited in a temporary folder, and a
registry on both back-ends (SQLite, and PostgreSQL where a service may start) for the files
the simulator exports."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from schoolnet_collector.simulator.profile_file import PROFILE_DIR
from tests.support.backends import REGISTRY_BACKENDS

LAO_CAI = yaml.safe_load((PROFILE_DIR / "lao-cai-2018.yaml").read_text(encoding="utf-8"))
MERGED = yaml.safe_load((PROFILE_DIR / "lao-cai-yen-bai-2025.yaml").read_text(encoding="utf-8"))

Edit = Callable[[dict[str, Any]], object]


@pytest.fixture()
def edited(tmp_path: Path) -> Callable[[dict[str, Any], Edit], str]:
    """``edited(data, change)``: a copy of ``data`` changed by ``change``, as a file path."""

    def write(data: dict[str, Any], change: Edit) -> str:
        copied = copy.deepcopy(data)
        change(copied)
        path = tmp_path / "province.yaml"
        path.write_text(yaml.safe_dump(copied, allow_unicode=True), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture(params=REGISTRY_BACKENDS)
def registry_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return request.getfixturevalue("postgresql_url")
