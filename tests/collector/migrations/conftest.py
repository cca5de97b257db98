"""The migrations' tests run on both back-ends: SQLite, and PostgreSQL where a service may start."""

from __future__ import annotations

import pytest

from tests.support.backends import REGISTRY_BACKENDS


@pytest.fixture(params=REGISTRY_BACKENDS)
def registry_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    return request.getfixturevalue("postgresql_url")
