"""Where a language's translations come from: the compiled .mo when it is current, the .po
compiled in memory when the .mo is missing or older (an editable checkout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schoolnet_collector.i18n import catalogue
from schoolnet_collector.i18n.compile import compile_catalogue, compile_tree

PO = """msgid ""
msgstr ""
"Language: vi\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "Devices"
msgstr "{word}"
"""


def write_po(locale: Path, word: str) -> Path:
    po = locale / "vi" / "LC_MESSAGES" / "schoolnet.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(PO.format(word=word), encoding="utf-8")
    return po


def age(path: Path, seconds: float) -> None:
    """Make ``path`` look ``seconds`` older than now."""
    stat = path.stat()
    os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


def test_a_current_mo_is_what_is_read(tmp_path):
    po = write_po(tmp_path, "Thiết bị (mo)")
    compile_tree(tmp_path, tmp_path)
    write_po(tmp_path, "Thiết bị (po)")
    age(po, 60)  # the .po was edited before the build that compiled the .mo
    assert catalogue.load("vi", tmp_path).gettext("Devices") == "Thiết bị (mo)"


def test_a_po_newer_than_its_mo_is_compiled_at_first_use(tmp_path):
    write_po(tmp_path, "Thiết bị (cũ)")
    (mo,) = compile_tree(tmp_path, tmp_path)
    age(mo, 60)
    write_po(tmp_path, "Thiết bị (mới)")
    assert catalogue.load("vi", tmp_path).gettext("Devices") == "Thiết bị (mới)"
    assert mo.stat().st_mtime < (tmp_path / "vi/LC_MESSAGES/schoolnet.po").stat().st_mtime
    # Nothing is written at run time.
    assert sorted(p.name for p in mo.parent.iterdir()) == ["schoolnet.mo", "schoolnet.po"]


def test_without_a_mo_the_po_is_compiled(tmp_path):
    write_po(tmp_path, "Thiết bị")
    assert catalogue.load("vi", tmp_path).gettext("Devices") == "Thiết bị"
    assert not list(tmp_path.rglob("*.mo"))


def test_a_language_without_a_catalogue_is_an_error_not_silence(tmp_path):
    with pytest.raises(FileNotFoundError, match="no catalogue for language 'vi'"):
        catalogue.load("vi", tmp_path)


def test_fuzzy_translations_are_not_compiled(tmp_path):
    po = write_po(tmp_path, "Thiết bị")
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgid "Devices"', '#, fuzzy\nmsgid "Devices"'),
        encoding="utf-8",
    )
    assert catalogue.load("vi", tmp_path).gettext("Devices") == "Devices"
    assert b"Thi" not in compile_catalogue(po)


def test_the_packaged_catalogues_load_and_unknown_languages_are_vietnamese():
    assert catalogue.translations("vi").gettext("Sign in") == "Đăng nhập"
    assert catalogue.translations("xx") is catalogue.translations("vi")
    assert catalogue.language("en") == "en" and catalogue.language(None) == "vi"
