"""Who may see and do what: a token's scope (province, a commune, a school) and its role.

Plain values with no database behind them, so the registry's token table, the API's caller
checks, the planners' reports and the ``token`` command's argument parsing (which must start
without importing SQLAlchemy) all read them from one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROLES = ("viewer", "operator", "admin")
"""Ordered by power: viewer reads; operator also changes alerting state (acknowledge,
maintenance, contacts); admin is for those who manage tokens (with the ``token`` command on
the collector host; no API route creates tokens). Each role includes the ones before it."""
SCOPE_KINDS = ("province", "commune", "school")
LEGACY_SCOPE_KINDS = ("district",)
"""Scopes that existed before the 2025 reform. A stored token with one of them stops working
(``LEGACY_SCOPE_MESSAGE``) rather than being widened or narrowed to a guess: a district became
several communes, and only a person can say which one a token's holder now answers for."""
LEGACY_SCOPE_MESSAGE = (
    "district scopes ended with the district education offices on 1 July 2025; "
    "ask an admin to issue a commune scope (token create --scope commune:<code>)"
)
_SCOPE_ID = re.compile(r"\A[a-z0-9][a-z0-9_-]{0,62}\Z")  # \Z: no trailing newline


class TokenError(ValueError):
    """A token request that cannot be honoured (bad role, scope or expiry); says why."""


@dataclass(frozen=True)
class Scope:
    """What a token may see: the whole province, one commune (the schools it runs) or one
    school."""

    kind: str
    id: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``province``, ``commune:<code>`` or ``school:<id>`` (ids as in the unit and school
        files)."""
        kind, _, ident = text.strip().partition(":")
        if kind == "province" and not ident:
            return cls("province")
        if kind in LEGACY_SCOPE_KINDS:
            raise TokenError(f"scope {text!r}: {LEGACY_SCOPE_MESSAGE}")
        if kind in ("commune", "school"):
            if not _SCOPE_ID.match(ident):
                raise TokenError(
                    f"scope {text!r}: {kind} id must be lower-case letters, digits, "
                    "'-' or '_' (as in the unit and school files)"
                )
            return cls(kind, ident)
        raise TokenError(f"scope {text!r}: expected province, commune:<code> or school:<id>")

    def __str__(self) -> str:
        return self.kind if self.kind == "province" else f"{self.kind}:{self.id}"
