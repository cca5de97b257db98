"""Cross-site request forgery on the pages' forms (sign in, sign out).

Without it another site could post a token of its own owner's to ``/login`` from a teacher's
browser: the teacher would then work, unknowingly, in someone else's session (login CSRF), or
be signed out at will. Two checks, both from OWASP's cheat sheet, on every form post:

- the ``Origin`` header (or, when a browser sends none, ``Referer``) names this site's host;
- the form carries the token this site put in its own ``schoolnet_csrf`` cookie (HttpOnly,
  SameSite=Strict: another site can neither read nor send it), compared in constant time.

The token is made once per browser and sent with every page, so two open tabs both work.
"""

from __future__ import annotations

import hmac
import re
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

CSRF_COOKIE = "schoolnet_csrf"
CSRF_FIELD = "csrf"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def browser_token(request: Request) -> tuple[str, bool]:
    """This browser's token and whether it is new (then ``remember`` must set it)."""
    known = request.cookies.get(CSRF_COOKIE, "")
    if _TOKEN.match(known):
        return known, False
    return secrets.token_urlsafe(32), True


def remember(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def origin_of(request: Request) -> str | None:
    """The host:port the post came from, by Origin, else Referer; None when neither says."""
    for header in ("origin", "referer"):
        value = request.headers.get(header)
        if value is not None:
            return urlsplit(value).netloc if value != "null" else ""
    return None


def refusal(request: Request, form: dict[str, list[str]]) -> str | None:
    """Why a form post is not this site's own (for the log), or None when it is."""
    origin, host = origin_of(request), request.headers.get("host", "")
    if origin is not None and origin != host:
        return f"posted from {origin or 'an opaque origin'}, not {host}"
    sent = (form.get(CSRF_FIELD) or [""])[0]
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not _TOKEN.match(expected) or not hmac.compare_digest(sent, expected):
        return "the form's CSRF token does not match this browser's"
    return None
