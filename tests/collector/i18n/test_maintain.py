"""make i18n-check against a copy of the sources: it passes on the real catalogues, and fails
on a message the catalogues lack, a missing Vietnamese translation, a fuzzy or an obsolete
entry, a broken placeholder; make i18n-update brings a stale copy back in step."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schoolnet_collector.i18n import maintain
from tests.support.paths import ROOT

pytestmark = pytest.mark.slow  # each check extracts the whole collector afresh (about a second)

VI = Path("collector/schoolnet_collector/i18n/locale/vi/LC_MESSAGES/schoolnet.po")
LOGIN = Path("collector/schoolnet_collector/web/templates/login.html")


@pytest.fixture()
def copy(tmp_path) -> Path:
    """The collector's sources and the extraction settings, away from the working tree."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "collector/schoolnet_collector",
        tmp_path / "collector/schoolnet_collector",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo"),
    )
    return tmp_path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_catalogues_match_the_sources(copy, capsys):
    assert maintain.problems(copy) == []
    assert maintain.main(["check", "--root", str(copy)]) == 0


def test_a_new_message_fails_the_check_until_updated_and_translated(copy, capsys):
    edit(
        copy / LOGIN, "</h1>", "</h1>\n<p>{% trans %}Ask your school's IT teacher{% endtrans %}</p>"
    )
    found = maintain.problems(copy)
    assert found == [
        f'{VI}: not in the catalogue (make i18n-update): "Ask your school\'s IT teacher"',
        str(VI).replace("/vi/", "/en/")
        + ': not in the catalogue (make i18n-update): "Ask your school\'s IT teacher"',
    ]
    assert maintain.main(["check", "--root", str(copy)]) == 1
    assert "Ask your school" in capsys.readouterr().err

    maintain.update(copy)
    assert maintain.problems(copy) == [
        f'{VI}: no Vietnamese translation: "Ask your school\'s IT teacher"'
    ]
    edit(
        copy / VI,
        'msgid "Ask your school\'s IT teacher"\nmsgstr ""',
        'msgid "Ask your school\'s IT teacher"\nmsgstr "Hỏi giáo viên tin học của trường"',
    )
    assert maintain.problems(copy) == []


def test_a_missing_vietnamese_translation_fails_the_check(copy):
    edit(copy / VI, 'msgstr "Đăng xuất"', 'msgstr ""')
    assert maintain.problems(copy) == [f"{VI}: no Vietnamese translation: 'Sign out'"]


def test_a_removed_message_leaves_an_entry_the_check_refuses(copy):
    edit(copy / LOGIN, "{% trans %}Access token{% endtrans %}", "Token")
    assert maintain.problems(copy) == [
        f"{VI}: no longer in the sources (make i18n-update): 'Access token'",
        str(VI).replace("/vi/", "/en/")
        + ": no longer in the sources (make i18n-update): 'Access token'",
    ]
    maintain.update(copy)
    assert maintain.problems(copy) == []
    assert "Access token" not in (copy / VI).read_text(encoding="utf-8")


def test_fuzzy_and_obsolete_entries_fail_the_check(copy):
    edit(copy / VI, 'msgid "Sign out"', '#, fuzzy\nmsgid "Sign out"')
    (copy / VI).write_text(
        (copy / VI).read_text(encoding="utf-8") + '\n#~ msgid "Log out"\n#~ msgstr "Thoát"\n',
        encoding="utf-8",
    )
    assert sorted(maintain.problems(copy)) == [
        f"{VI}: fuzzy, confirm or fix it and drop the flag: 'Sign out'",
        f"{VI}: obsolete entry (make i18n-update): 'Log out'",
    ]


def test_a_translation_with_other_placeholders_than_its_message_fails_the_check(copy):
    edit(copy / VI, 'msgstr "Từ: %(since)s"', 'msgstr "Từ: %(when)s"')
    (problem,) = maintain.problems(copy)
    assert problem.startswith(f"{VI}: 'Since: %(since)s': ") and "when" in problem


def test_a_changed_message_keeps_its_old_translation_as_fuzzy_for_review(copy):
    edit(
        copy / LOGIN,
        "The token is wrong, expired or revoked.",
        "The token is wrong, has expired or was revoked.",
    )
    maintain.update(copy)
    assert maintain.problems(copy) == [
        f"{VI}: fuzzy, confirm or fix it and drop the flag: 'The token is wrong, has expired or was revoked.'"
    ]
    assert "#, fuzzy" not in (copy / str(VI).replace("/vi/", "/en/")).read_text(encoding="utf-8")
