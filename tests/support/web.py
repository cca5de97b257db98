"""The pages' forms as a browser fills them: the CSRF token comes from the form the site
served (and its cookie stays in the client), so a test posts what a real sign-in posts."""

from __future__ import annotations

import re

CSRF_INPUT = re.compile(r'name="csrf" value="([A-Za-z0-9_-]+)"')


def csrf_token(client, page: str = "/login") -> str:
    """The token of ``page``'s form; the response also leaves the CSRF cookie in ``client``."""
    r = client.get(page)
    found = CSRF_INPUT.search(r.text)
    assert found, f"{page} has no CSRF field"
    return found.group(1)


def post_form(client, path: str, data: dict[str, str], **kwargs):
    """``data`` posted to ``path`` with the CSRF token of the login form, as the browser would."""
    return client.post(path, data={"csrf": csrf_token(client), **data}, **kwargs)
