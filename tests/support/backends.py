"""Registry back-ends a test runs on: SQLite (a file, nothing to start) and PostgreSQL (a real
server, so that case carries the ``services`` marker and ``make test-fast`` leaves it out), and
a school to put in one."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from schoolnet_collector.registry.models import School

REGISTRY_BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
T0 = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)


def add_school(session, sid="lc-bx-th-001"):
    """One school in the registry: what incidents and devices need to refer to."""
    session.add(
        School(
            id=sid,
            name="Trường TH Bản Xèo",
            province="lao-cai",
            district="bat-xat",
            level="tieu_hoc",
            updated_at=T0,
        )
    )
    session.commit()


def alembic(engine, action, target):
    """Run an Alembic command (``command.upgrade``/``downgrade``) to ``target`` on ``engine``."""
    from alembic.config import Config

    from schoolnet_collector.registry.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        action(cfg, target)
