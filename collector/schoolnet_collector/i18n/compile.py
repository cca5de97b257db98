"""A ``.po`` catalogue compiled to ``.mo`` bytes, in one function shared by two callers.

``setup.py`` loads this file by its path at build time (the package and its dependencies are
not importable there, Babel is: it is a build requirement), and ``catalogue`` calls it at run
time when a checkout has no ``.mo`` or an older one than its ``.po``. One implementation, so
an installed collector and a developer's checkout read a catalogue the same way. It imports
nothing but Babel for that reason.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "schoolnet"


def compile_catalogue(po_path: Path) -> bytes:
    """The ``.mo`` form of one catalogue. Fuzzy entries are left out, as gettext does: a
    translation nobody has confirmed is not shown (``make i18n-check`` refuses them anyway)."""
    with po_path.open("rb") as fileobj:
        catalog = read_po(fileobj, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def compile_tree(locale_dir: Path, out_dir: Path) -> list[Path]:
    """Every ``<lang>/LC_MESSAGES/*.po`` under ``locale_dir`` as ``.mo`` at the same place
    under ``out_dir`` (which may be ``locale_dir`` itself); returns the files written."""
    written = []
    for po in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        target = out_dir / po.relative_to(locale_dir).with_suffix(".mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(compile_catalogue(po))
        written.append(target)
    return written
