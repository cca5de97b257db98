"""``schoolnet-collector token create|list|revoke``: API tokens for people and scripts.

``create`` prints the token alone on stdout (so ``TOKEN=$(schoolnet-collector token create ...)``
works) and what it is on stderr; the token is shown this once, the registry keeps only its hash.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from schoolnet_collector.commands.common import add_config_option, settings_or_exit
from schoolnet_collector.core.access import ROLES, Scope, TokenError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from schoolnet_collector.commands.common import Subcommands

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_DURATION = re.compile(r"^(\d{1,5})([dh])$")


def parse_expiry(text: str, now: datetime) -> datetime:
    """``90d`` / ``12h`` from now, or an ISO date/time; without an offset it is Vietnam time
    (a date means the end of that day there)."""
    m = _DURATION.match(text.strip())
    if m:
        amount, unit = int(m.group(1)), m.group(2)
        return now + (timedelta(days=amount) if unit == "d" else timedelta(hours=amount))
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TokenError(
            f"--expires {text!r}: expected e.g. 90d, 12h, 2027-06-30 or 2027-06-30T17:00+07:00"
        ) from None
    if len(text.strip()) == 10:  # a plain date: valid through that day
        value = value + timedelta(days=1)
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(timezone.utc)


def register(sub: Subcommands) -> None:
    p = sub.add_parser("token", help="create, list or revoke API tokens")
    tsub = p.add_subparsers(dest="token_command", required=True, metavar="ACTION")

    create = tsub.add_parser("create", help="create a token (printed once)")
    add_config_option(create)
    create.add_argument(
        "--role",
        required=True,
        choices=ROLES,
        help="viewer reads; operator also changes alert state; admin also tokens",
    )
    create.add_argument(
        "--scope", required=True, metavar="SCOPE", help="province, commune:<code> or school:<id>"
    )
    create.add_argument("--name", help="who or what uses it (default: role and scope)")
    create.add_argument(
        "--expires", metavar="WHEN", help="90d, 12h, 2027-06-30 or an ISO time (default: never)"
    )
    create.set_defaults(func=run_create)

    lst = tsub.add_parser("list", help="list tokens (prefix, name, role, scope, state)")
    add_config_option(lst)
    lst.set_defaults(func=run_list)

    revoke = tsub.add_parser("revoke", help="revoke a token (and its browser sessions)")
    add_config_option(revoke)
    revoke.add_argument("token", metavar="ID_OR_PREFIX", help="from 'token list'")
    revoke.set_defaults(func=run_revoke)


def _open_registry(args: argparse.Namespace) -> Session:
    settings = settings_or_exit(args)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # keep the output to the token
    from schoolnet_collector.registry.db import make_engine, migrate, session_factory

    engine = make_engine(settings.registry.url)
    migrate(engine)
    return session_factory(engine)()


def _check_scope_exists(session: Session, scope: Scope) -> None:
    """A typo in a commune or school id would make a token that sees nothing: refuse it."""
    from sqlalchemy import select

    from schoolnet_collector.registry.models import School
    from schoolnet_collector.registry.units import communes, scope_filter

    if scope.kind == "school" and session.get(School, scope.id) is None:
        raise TokenError(
            f"school {scope.id!r} is not in the registry (import the school file first)"
        )
    if scope.kind == "commune":
        if scope.id not in communes(session):
            raise TokenError(
                f"commune {scope.id!r} is not in the registry (import the unit file first)"
            )
        if session.scalar(select(School.id).where(scope_filter(scope)).limit(1)) is None:
            raise TokenError(f"commune {scope.id!r} runs no school in the registry")


def _fail(exc: Exception) -> int:
    print(f"schoolnet-collector: {exc}", file=sys.stderr)
    return 2


def run_create(args: argparse.Namespace) -> int:
    from schoolnet_collector.registry.tokens import create_token

    now = datetime.now(timezone.utc)
    try:
        scope = Scope.parse(args.scope)
        expires = parse_expiry(args.expires, now) if args.expires else None
    except TokenError as exc:
        return _fail(exc)
    with _open_registry(args) as session:
        try:
            _check_scope_exists(session, scope)
            row, secret = create_token(
                session,
                role=args.role,
                scope=scope,
                now=now,
                name=args.name or f"{args.role} {scope}",
                expires_at=expires,
            )
        except TokenError as exc:
            return _fail(exc)
    print(secret)
    print(
        f"token {row.id} ({row.prefix}…) {row.role} {scope}"
        f"{', expires ' + expires.isoformat() if expires else ''}: keep it now, "
        "it is not shown again",
        file=sys.stderr,
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from schoolnet_collector.registry.tokens import ApiToken

    now = datetime.now(timezone.utc)
    with _open_registry(args) as session:
        rows = list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
    print(
        f"{'id':>4}  {'prefix':<12}  {'role':<8}  {'scope':<28}  {'state':<8}  {'expires':<16}  name"
    )
    for r in rows:
        state = "revoked" if r.revoked_at else ("active" if r.usable(now) else "expired")
        expires = r.expires_at.strftime("%Y-%m-%d %H:%M") if r.expires_at else "never"
        print(
            f"{r.id:>4}  {r.prefix:<12}  {r.role:<8}  {r.scope!s:<28}  {state:<8}  "
            f"{expires:<16}  {r.name}"
        )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from schoolnet_collector.registry.tokens import revoke_token

    with _open_registry(args) as session:
        try:
            row = revoke_token(session, args.token, datetime.now(timezone.utc))
        except TokenError as exc:
            return _fail(exc)
    print(f"revoked token {row.id} ({row.prefix}…) {row.name}")
    return 0
