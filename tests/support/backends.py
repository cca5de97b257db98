"""Registry back-ends a test runs on: SQLite (a file, nothing to start) and PostgreSQL (a real
server, so that case carries the ``services`` marker and ``make test-fast`` leaves it out)."""

from __future__ import annotations

import pytest

REGISTRY_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
