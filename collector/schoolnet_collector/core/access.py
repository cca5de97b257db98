"""Who may see and do what: a token's scope (province, a district, a school) and its role.

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
SCOPE_KINDS = ("province", "district", "school")
_SCOPE_ID = re.compile(r"\A[a-z0-9][a-z0-9_-]{0,62}\Z")  # \Z: no trailing newline


class TokenError(ValueError):
    """A token request that cannot be honoured (bad role, scope or expiry); says why."""


@dataclass(frozen=True)
class Scope:
    """What a token may see: the whole province, one district (its schools) or one school."""

    kind: str
    id: str | None = None

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``province``, ``district:<id>`` or ``school:<id>`` (ids as in the school file)."""
        kind, _, ident = text.strip().partition(":")
        if kind == "province" and not ident:
            return cls("province")
        if kind in ("district", "school"):
            if not _SCOPE_ID.match(ident):
                raise TokenError(
                    f"scope {text!r}: {kind} id must be lower-case letters, digits, "
                    "'-' or '_' (as in the school file)"
                )
            return cls(kind, ident)
        raise TokenError(f"scope {text!r}: expected province, district:<id> or school:<id>")

    def __str__(self) -> str:
        return self.kind if self.kind == "province" else f"{self.kind}:{self.id}"
