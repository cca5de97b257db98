"""``calendar import`` and ``contacts import`` as a user runs them: bad rows named by line and
skipped, good rows kept (exit 1), an unusable file or an unknown school refused (exit 2)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select

from schoolnet_collector.registry.alerting_models import Contact
from schoolnet_collector.registry.db import make_engine, session_factory
from tests.support.calendar import CALENDAR_WITH_MISTAKES
from tests.support.units import UNITS_CSV


def _cli(tmp_path, *args):
    config = tmp_path / "collector.toml"
    config.write_text(f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n', encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "schoolnet_collector.cli", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.slow  # six commands, each opening and migrating a registry
def test_calendar_and_contacts_import_commands(tmp_path):
    schools = tmp_path / "schools.csv"
    schools.write_text(
        "id,name,province,district,level\nlc-test-01,Trường 1,lao-cai,bat-xat,thcs\n",
        encoding="utf-8",
    )
    assert _cli(tmp_path, "schools", "import", str(schools)).returncode == 0
    units = tmp_path / "units.csv"
    units.write_text(UNITS_CSV, encoding="utf-8")
    assert _cli(tmp_path, "units", "import", str(units)).returncode == 0
    cal = tmp_path / "lich.yaml"
    cal.write_text(CALENDAR_WITH_MISTAKES, encoding="utf-8")
    done = _cli(tmp_path, "calendar", "import", str(cal), "--school", "lc-test-01")
    assert done.returncode == 1
    assert "skipped lich.yaml:6: terms.1" in done.stderr
    assert (
        "calendar of school lc-test-01: 2 weekdays of hours, 1 terms, 2 holidays (2 rows skipped)"
        in done.stdout
    )
    done = _cli(tmp_path, "calendar", "import", "--school", "lc-nope")
    assert done.returncode == 2 and "school 'lc-nope' is not in the registry" in done.stderr
    done = _cli(tmp_path, "calendar", "import")
    assert done.returncode == 0 and "calendar of the province: 5 weekdays of hours" in done.stdout

    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "name,role,school_id,commune,email,telegram_chat_id,webhook_url,language,active\n"
        "Cô Lan,school_it,lc-test-01,,lan@example.edu.vn,,,vi,có\n"
        "Thầy Bình,school_it,lc-test-01,,binh-at-example,,,,\n"
        "Phòng VH-XH Bát Xát,commune,,08044,,-1001234567,,en,yes\n"
        "Chị Hoa,school_it,lc-test-09,,hoa@example.edu.vn,,,,\n"
        "Sở GDĐT,province,,,,,https://hooks.example.edu.vn/so,vi,\n"
        "Anh Tú,commune,,08044,,,,,\n"
        "Phòng GD Bát Xát,district,,bat-xat,pgd@example.edu.vn,,,,\n"
        "Xã Không Có,commune,,99999,xa@example.gov.vn,,,,\n"
        "Máy nội bộ,province,,,,,http://127.0.0.1:8086/write,,\n",
        encoding="utf-8",
    )
    done = _cli(tmp_path, "contacts", "import", str(contacts))
    assert done.returncode == 1
    assert (
        "skipped contacts.csv:3: email: 'binh-at-example' is not an e-mail address" in done.stderr
    )
    assert "skipped contacts.csv:5: school 'lc-test-09' is not in the registry" in done.stderr
    assert (
        "skipped contacts.csv:7: give at least one of email, telegram_chat_id, webhook_url"
        in done.stderr
    )
    assert (
        "skipped contacts.csv:8: role: the district role ended with the district education "
        "offices on 1 July 2025" in done.stderr
    )
    assert "skipped contacts.csv:9: commune '99999' is not in the registry" in done.stderr
    assert (
        "skipped contacts.csv:10: webhook_url: 127.0.0.1 is not a public address (loopback)"
        in done.stderr
    )
    assert "imported 3 contacts (6 rows skipped)" in done.stdout
    engine = make_engine(f"sqlite:///{tmp_path}/r.sqlite3")
    with session_factory(engine)() as s:
        rows = {c.name: (c.role, c.language, c.active) for c in s.scalars(select(Contact))}
    engine.dispose()
    assert rows == {
        "Cô Lan": ("school_it", "vi", True),
        "Phòng VH-XH Bát Xát": ("commune", "en", True),
        "Sở GDĐT": ("province", "vi", True),
    }  # an empty cell: the default
    # Importing again updates, does not duplicate.
    assert "imported 3 contacts" in _cli(tmp_path, "contacts", "import", str(contacts)).stdout
    missing = _cli(tmp_path, "contacts", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr

    # The Sở's webhook gets its own key, printed for its receiver, kept until --rotate.
    with session_factory(make_engine(f"sqlite:///{tmp_path}/r.sqlite3"))() as s:
        so = s.scalar(select(Contact.id).where(Contact.name == "Sở GDĐT"))
        lan = s.scalar(select(Contact.id).where(Contact.name == "Cô Lan"))
    first = _cli(tmp_path, "contacts", "webhook-key", str(so))
    url, key = first.stdout.strip().split("\t")
    assert first.returncode == 0 and url == "https://hooks.example.edu.vn/so" and len(key) >= 40
    assert _cli(tmp_path, "contacts", "webhook-key", str(so)).stdout == first.stdout
    rotated = _cli(tmp_path, "contacts", "webhook-key", str(so), "--rotate").stdout
    assert rotated.startswith(url) and rotated != first.stdout
    none = _cli(tmp_path, "contacts", "webhook-key", str(lan))
    assert none.returncode == 2 and f"contact {lan} has no webhook address" in none.stderr
    nobody = _cli(tmp_path, "contacts", "webhook-key", "999")
    assert nobody.returncode == 2 and "contact 999 is not in the registry" in nobody.stderr
    # A re-import keeps the key (the address row is kept).
    _cli(tmp_path, "contacts", "import", str(contacts))
    assert _cli(tmp_path, "contacts", "webhook-key", str(so)).stdout == rotated
