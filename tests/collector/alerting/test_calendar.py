"""The school calendar (Asia/Ho_Chi_Minh): hours, terms, holidays with Tết; a school's own
calendar; the calendar and contacts import commands (bad rows named by line, good rows kept)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from schoolnet_collector.registry.alerting_models import Contact
from schoolnet_collector.registry.calendar import VN, Calendar, is_school_time, next_school_time
from schoolnet_collector.registry.calendar_file import (
    CalendarFileError,
    CalendarIn,
    import_calendar,
    read_calendar_file,
    store_calendar,
)
from schoolnet_collector.registry.db import make_engine, migrate, session_factory
from schoolnet_collector.registry.models import School
from tests.support.backends import REGISTRY_BACKENDS

S1 = "lc-test-01"


def vn(*args) -> datetime:
    return datetime(*args, tzinfo=VN)


@pytest.fixture(params=REGISTRY_BACKENDS)
def sessions(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgresql_url")
    )
    engine = make_engine(url)
    migrate(engine)
    factory = session_factory(engine)
    with factory() as s:
        for sid, district in ((S1, "bat-xat"), ("lc-test-02", "sa-pa")):
            s.add(
                School(
                    id=sid,
                    name=sid,
                    province="lao-cai",
                    district=district,
                    level="thcs",
                    updated_at=datetime.now(timezone.utc),
                )
            )
        s.commit()
        import_calendar(s, None)
    yield factory
    engine.dispose()


def test_the_default_calendar_has_the_public_holidays_of_the_school_year():
    calendar, problems = read_calendar_file(None)
    assert problems == []
    days = {h.name: (h.starts, h.ends) for h in calendar.holidays}
    assert days["Tết Dương lịch"] == (date(2027, 1, 1), date(2027, 1, 1))
    tet = days["Tết Nguyên đán"]
    assert tet[0] <= date(2027, 2, 6) <= tet[1] and (tet[1] - tet[0]).days + 1 >= 7  # a week
    assert days["Giỗ Tổ Hùng Vương"] == (date(2027, 4, 16), date(2027, 4, 16))  # 10/3 âm lịch
    assert days["Ngày Giải phóng miền Nam, thống nhất đất nước"][0] == date(2027, 4, 30)
    assert days["Ngày Quốc tế Lao động"][0] == date(2027, 5, 1)
    assert date(2026, 9, 2) <= days["Quốc khánh"][1]
    assert calendar.terms[0].starts == date(2026, 9, 5)


@pytest.mark.parametrize(
    "at, expected",
    [
        (vn(2026, 11, 25, 9, 0), True),  # a Wednesday morning in term
        (vn(2026, 11, 25, 6, 59), False),  # before school
        (vn(2026, 11, 25, 17, 0), False),  # closed at 17:00
        (vn(2026, 11, 28, 9, 0), False),  # Saturday
        (vn(2027, 2, 8, 9, 0), False),  # Tết
        (vn(2027, 4, 16, 9, 0), False),  # Giỗ Tổ Hùng Vương
        (vn(2027, 1, 17, 9, 0), False),  # Sunday between the terms
        (vn(2027, 1, 18, 9, 0), True),  # second term starts
        (
            datetime(2026, 11, 25, 1, 30, tzinfo=timezone.utc),
            True,
        ),  # 08:30 in Lào Cai, given in UTC
    ],
)
def test_school_time(sessions, at, expected):
    with sessions() as s:
        assert is_school_time(s, S1, at) is expected


def test_next_school_time_skips_nights_weekends_and_tet(sessions):
    with sessions() as s:
        assert next_school_time(s, S1, vn(2026, 11, 25, 9, 0)) == vn(2026, 11, 25, 9, 0)
        assert next_school_time(s, S1, vn(2026, 11, 25, 18, 0)) == vn(2026, 11, 26, 7, 0)
        assert next_school_time(s, S1, vn(2026, 11, 27, 18, 0)) == vn(2026, 11, 30, 7, 0)
        assert next_school_time(s, S1, vn(2027, 2, 3, 18, 0)) == vn(2027, 2, 11, 7, 0)


def test_a_school_with_its_own_hours_and_holiday(sessions):
    own = CalendarIn(
        school_hours={"mon": "07:30-11:30", "sat": "07:30-11:30"},
        holidays=[{"name": "Lễ hội Gầu Tào", "starts": "2027-01-25", "ends": "2027-01-25"}],
    )
    with sessions() as s:
        store_calendar(s, own, S1)
        s.commit()
        cal = Calendar.load(s)
        assert cal.is_school_time(S1, vn(2026, 11, 28, 9, 0))  # its Saturday class
        assert not cal.is_school_time(S1, vn(2026, 11, 30, 14, 0))  # its Monday afternoon
        assert cal.is_school_time("lc-test-02", vn(2026, 11, 30, 14, 0))  # the province's hours
        assert not cal.is_school_time(S1, vn(2027, 1, 25, 9, 0))  # its own holiday
        assert not cal.is_school_time(S1, vn(2027, 2, 8, 9, 0))  # and the province's Tết


def test_a_date_outside_the_terms_known_counts_as_a_school_day(sessions):
    """A calendar not yet updated for the next year must not silence alerts."""
    with sessions() as s:
        assert is_school_time(s, S1, vn(2027, 9, 15, 9, 0))


CALENDAR_WITH_MISTAKES = """\
school_hours:
  mon: "07:00-17:00"
  tue: "07:00-17:00"
terms:
  - {name: "Học kỳ I", starts: 2026-09-05, ends: 2027-01-16}
  - {name: "Học kỳ II", starts: 2027-05-29, ends: 2027-01-18}
holidays:
  - {name: "Tết Nguyên đán", starts: 2027-02-04, ends: 2027-02-10}
  - {name: "Giỗ Tổ", starts: 16/4/2027, ends: 2027-04-16}
  - {name: "30/4", starts: 2027-04-30, ends: 2027-04-30}
"""


def test_calendar_file_rows_with_mistakes_are_named_and_the_rest_kept(sessions, tmp_path):
    path = tmp_path / "lich.yaml"
    path.write_text(CALENDAR_WITH_MISTAKES, encoding="utf-8")
    with sessions() as s:
        result = import_calendar(s, path, None)
        assert (result.hours, result.terms, result.holidays) == (2, 1, 2)
        assert (
            result.errors[0] == "lich.yaml:6: terms.1: ends 2027-01-18 is before starts 2027-05-29"
        )
        assert result.errors[1].startswith(
            "lich.yaml:9: holidays.1.starts: Input should be a valid date"
        )
        assert len(result.errors) == 2


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'school_hours:\n  mon: "17:00-07:00"\n',
            "lich.yaml:2: school_hours.mon: '17:00-07:00': closes before it opens",
        ),
        (
            'school_hours:\n  mon: "7h-17h"\n',
            "lich.yaml:2: school_hours.mon: String should match pattern",
        ),
        ('school_hours:\n  monday: "07:00-17:00"\n', "lich.yaml:2: school_hours.monday.[key]"),
        ("timezone: Asia/Bangkok\n", "lich.yaml:1: timezone: Input should be 'Asia/Ho_Chi_Minh'"),
        ("terms: {a: 1}\n", "lich.yaml:1: terms must be a list"),
        ("holidays: [\n", "lich.yaml:2: not valid YAML"),
    ],
)
def test_a_calendar_file_that_cannot_be_used_is_refused(tmp_path, text, message):
    path = tmp_path / "lich.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarFileError) as err:
        read_calendar_file(path)
    assert str(err.value).startswith(message)


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
        "name,role,school_id,district,email,telegram_chat_id,webhook_url,language,active\n"
        "Cô Lan,school_it,lc-test-01,,lan@example.edu.vn,,,vi,có\n"
        "Thầy Bình,school_it,lc-test-01,,binh-at-example,,,,\n"
        "Phòng GD Bát Xát,district,,bat-xat,,-1001234567,,en,yes\n"
        "Chị Hoa,school_it,lc-test-09,,hoa@example.edu.vn,,,,\n"
        "Sở GDĐT,province,,,,,https://hooks.example.edu.vn/so,vi,\n"
        "Anh Tú,district,,bat-xat,,,,,\n",
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
    assert "imported 3 contacts (3 rows skipped)" in done.stdout
    engine = make_engine(f"sqlite:///{tmp_path}/r.sqlite3")
    with session_factory(engine)() as s:
        rows = {c.name: (c.role, c.language, c.active) for c in s.scalars(select(Contact))}
    engine.dispose()
    assert rows == {
        "Cô Lan": ("school_it", "vi", True),
        "Phòng GD Bát Xát": ("district", "en", True),
        "Sở GDĐT": ("province", "vi", True),
    }  # an empty cell: the default
    # Importing again updates, does not duplicate.
    assert "imported 3 contacts" in _cli(tmp_path, "contacts", "import", str(contacts)).stdout
    missing = _cli(tmp_path, "contacts", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
