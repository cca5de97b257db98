"""Which languages there are and where each one's translations come from.

An installed collector reads the ``.mo`` files its build compiled (``setup.py``). A checkout
installed in editable mode has none (or ones older than a ``.po`` just edited): then the
``.po`` is compiled in memory at first use, so an edited message shows on the next start
without a build step, and a stale ``.mo`` is never believed over its source. Nothing is
written at run time: the package directory may be read-only, and two collectors starting
together must not race on a file.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

from babel.support import Translations

from schoolnet_collector.i18n.compile import DOMAIN, compile_catalogue

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
"""Each language named in itself, as a language switch shows it: not a translation."""


def language(value: str | None) -> str:
    """``value`` if it is a language the catalogues have, else Vietnamese (the province's)."""
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def load(lang: str, locale_dir: Path = LOCALE_DIR) -> Translations:
    """One language's translations: its ``.mo`` when that is at least as new as the ``.po``,
    else the ``.po`` compiled now. A language without either file is an error, not an empty
    catalogue: it would show English to a Vietnamese reader without a word of warning."""
    po = locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fileobj:
            return Translations(fileobj, domain=DOMAIN)
    if not po.exists():
        raise FileNotFoundError(f"no catalogue for language {lang!r}: {po} (nor {mo.name})")
    return Translations(io.BytesIO(compile_catalogue(po)), domain=DOMAIN)


def translations(lang: str) -> Translations:
    """The packaged translations of ``lang`` (any unknown language: Vietnamese), loaded once
    per process."""
    return _packaged(language(lang))


@functools.cache
def _packaged(lang: str) -> Translations:
    # Keyed by known languages only: whatever a request or a contact row says cannot grow it.
    return load(lang)
