"""``make i18n-update`` and ``make i18n-check``: the catalogues kept in step with the sources.

``python -m schoolnet_collector.i18n.maintain update|check [--root DIR]``. Both extract the
messages afresh from the collector's Python and templates, as ``[tool.babel]`` in the root's
pyproject.toml says. ``update`` merges them into both catalogues: new messages come in
untranslated, removed ones go; in Vietnamese a changed message keeps its old translation
marked fuzzy for a translator to confirm (in English the id is the English, so nothing is
suggested). ``check`` changes nothing and fails (exit 1, one line per problem) when a
catalogue lacks a message of the sources or keeps one they no longer have, when a Vietnamese
translation is missing, when an entry is fuzzy, or when a translation's placeholders are not
its message's: each would show a reader English, a stale text, or an error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

from schoolnet_collector.i18n.catalogue import LANGUAGES
from schoolnet_collector.i18n.compile import DOMAIN

ROOT = Path(__file__).resolve().parents[3]
SOURCES = Path("collector/schoolnet_collector")
LOCALE = SOURCES / "i18n/locale"
REQUIRED = ("vi",)
"""Languages whose every message needs a translation (English ids are English already)."""
WIDTH = 100


def po_path(root: Path, lang: str) -> Path:
    return root / LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(root: Path) -> Catalog:
    """The messages the sources under ``root`` have now (Babel's own extraction, configured
    by ``root/pyproject.toml``)."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / f"{DOMAIN}.pot"
        argv = ["pybabel", "-q", "extract", "-F", str(root / "pyproject.toml")]
        argv += ["-o", str(pot), "--add-location=file", "--project=schoolnet", "-w", str(WIDTH)]
        with _cwd(root):
            CommandLineInterface().run([*argv, str(SOURCES)])  # type: ignore[no-untyped-call]  # Babel's command line is not annotated
        with pot.open("rb") as fileobj:
            return read_po(fileobj)


def update(root: Path = ROOT) -> list[Path]:
    """Merge a fresh extraction into every language's catalogue; returns the files written."""
    template = extract(root)
    written = []
    for lang in LANGUAGES:
        path = po_path(root, lang)
        if path.exists():
            with path.open("rb") as fileobj:
                catalog = read_po(fileobj, locale=lang, domain=DOMAIN)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="schoolnet", fuzzy=False)
        created = catalog.creation_date  # kept: git tells when a catalogue changed
        catalog.update(template, no_fuzzy_matching=lang not in REQUIRED)
        catalog.creation_date = created
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fileobj:
            write_po(fileobj, catalog, width=WIDTH, include_previous=True)
        written.append(path)
    return written


def _key(message: Message) -> tuple[str, str | None]:
    ident = message.id if isinstance(message.id, str) else message.id[0]
    return ident, message.context


def _translated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
    return all(strings)


def problems(root: Path = ROOT) -> list[str]:
    """What is wrong with the catalogues under ``root`` against its sources (empty: fine)."""
    wanted = {_key(m) for m in extract(root) if m.id}
    found = []
    for lang in LANGUAGES:
        path = po_path(root, lang)
        name = path.relative_to(root)
        if not path.exists():
            found.append(f"{name}: missing (make i18n-update creates it)")
            continue
        with path.open("rb") as fileobj:
            catalog = read_po(fileobj, locale=lang, domain=DOMAIN)
        have = {_key(m): m for m in catalog if m.id}
        for ident, context in sorted(wanted - have.keys(), key=str):
            found.append(
                f"{name}: not in the catalogue (make i18n-update): {_show(ident, context)}"
            )
        for ident, context in sorted(have.keys() - wanted, key=str):
            found.append(
                f"{name}: no longer in the sources (make i18n-update): {_show(ident, context)}"
            )
        for obsolete in catalog.obsolete.values():
            found.append(f"{name}: obsolete entry (make i18n-update): {_show(*_key(obsolete))}")
        for key, message in have.items():
            if message.fuzzy:
                found.append(f"{name}: fuzzy, confirm or fix it and drop the flag: {_show(*key)}")
            if lang in REQUIRED and not _translated(message):
                found.append(f"{name}: no Vietnamese translation: {_show(*key)}")
        for message, errors in catalog.check():
            for error in errors:
                found.append(f"{name}: {_show(*_key(message))}: {error}")
    return found


def _show(ident: str, context: str | None) -> str:
    return repr(ident) + (f" (context {context!r})" if context else "")


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    """Extraction names files relative to the working directory: the root's, so the
    catalogues' locations read the same on every machine."""
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schoolnet_collector.i18n.maintain")
    parser.add_argument("action", choices=("update", "check"))
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (pyproject.toml)")
    args = parser.parse_args(argv)
    if args.action == "update":
        for path in update(args.root):
            print(f"updated {path.relative_to(args.root)}")
        return 0
    found = problems(args.root)
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} translation problem(s): see collector/README.md, Translations")
        return 1
    print("translations: catalogues match the sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
