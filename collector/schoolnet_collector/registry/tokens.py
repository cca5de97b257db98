"""API tokens and browser sessions: who may read what, stored so that a leaked database
does not leak a usable credential.

A token is ``snt_`` + 43 characters of ``secrets.token_urlsafe(32)``: 256 random bits. The
registry keeps only its SHA-256 and its first characters (the *prefix*, shown in
``token list`` so people can tell tokens apart and revoke the right one).

Why SHA-256 and not bcrypt/argon2: those are slow on purpose to protect *low-entropy* secrets
(passwords) against offline guessing. A 256-bit random token cannot be guessed, however fast
the hash — 2^256 SHA-256 evaluations are out of reach — so a slow hash would only add tens of
milliseconds of CPU to *every API request* (the API checks a token per request, on a 2-core
collector that also ingests the fleet) without making a stolen hash any easier to reverse.
The stored hash is compared with ``hmac.compare_digest`` so response time says nothing about
how much of a guessed token matched.

A browser session (login form → cookie) is the same idea: a fresh 256-bit random value in an
HttpOnly cookie, stored here as its SHA-256, bound to the token that opened it. Revoking or
expiring the token ends its sessions too; the raw token never reaches the browser's scripts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from schoolnet_collector.core.access import ROLES, Scope, TokenError
from schoolnet_collector.registry.devices import utc
from schoolnet_collector.registry.models import Base

TOKEN_PREFIX = "snt_"
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8  # "snt_" + 8 characters = 48 random bits to tell tokens apart


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[str | None] = mapped_column(String(63), nullable=True)
    prefix: Mapped[str] = mapped_column(String(16), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    @property
    def scope(self) -> Scope:
        return Scope(self.scope_kind, self.scope_id)

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or utc(self.expires_at) > now)


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    *,
    role: str,
    scope: Scope,
    name: str,
    now: datetime,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Store a new token and return it with its secret (shown once, never stored)."""
    if role not in ROLES:
        raise TokenError(f"role {role!r}: expected one of {', '.join(ROLES)}")
    if expires_at is not None and utc(expires_at) <= now:
        raise TokenError(f"expiry {expires_at.isoformat()} is not in the future")
    if not name.strip() or len(name) > 100:
        raise TokenError("name must be 1 to 100 characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        name=name.strip(),
        role=role,
        scope_kind=scope.kind,
        scope_id=scope.id,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=digest(secret),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.commit()
    return row, secret


def find_token(session: Session, secret: str, now: datetime) -> ApiToken | None:
    """The usable token whose secret this is, or None (unknown, revoked or expired).

    Looks up by the (non-secret) prefix, then compares full hashes in constant time."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    wanted = digest(secret)
    for row in session.scalars(select(ApiToken).where(ApiToken.prefix == secret[:PREFIX_LENGTH])):
        if hmac.compare_digest(row.token_hash, wanted) and row.usable(now):
            return row
    return None


def revoke_token(session: Session, ident: str, now: datetime) -> ApiToken:
    """Revoke by numeric id or by prefix; its browser sessions end with it."""
    query = select(ApiToken)
    query = (
        query.where(ApiToken.id == int(ident))
        if ident.isdigit()
        else query.where(ApiToken.prefix == ident[:PREFIX_LENGTH])
    )
    rows = list(session.scalars(query))
    if not rows:
        raise TokenError(f"no token {ident!r} (give the id or the prefix from 'token list')")
    if len(rows) > 1:
        raise TokenError(f"{len(rows)} tokens match {ident!r}; give the id instead")
    row = rows[0]
    if row.revoked_at is None:
        row.revoked_at = now
    session.query(WebSession).filter(WebSession.token_id == row.id).delete()
    session.commit()
    return row


def open_web_session(session: Session, token: ApiToken, now: datetime, expires_at: datetime) -> str:
    """A new browser session for this token; returns the cookie value (stored only hashed)."""
    value = secrets.token_urlsafe(32)
    # Sessions that ran out are of no use to anyone: drop them while we are here.
    session.query(WebSession).filter(WebSession.expires_at <= now).delete()
    if token.expires_at is not None:
        expires_at = min(expires_at, utc(token.expires_at))
    session.add(
        WebSession(
            session_hash=digest(value), token_id=token.id, created_at=now, expires_at=expires_at
        )
    )
    session.commit()
    return value


def find_web_session(session: Session, value: str, now: datetime) -> ApiToken | None:
    """The token behind a session cookie, if both the session and the token are still valid."""
    if not value or len(value) > 100:
        return None
    row = session.scalar(select(WebSession).where(WebSession.session_hash == digest(value)))
    if row is None or utc(row.expires_at) <= now:
        return None
    token = session.get(ApiToken, row.token_id)
    return token if token is not None and token.usable(now) else None


def close_web_session(session: Session, value: str) -> None:
    session.query(WebSession).filter(WebSession.session_hash == digest(value)).delete()
    session.commit()
