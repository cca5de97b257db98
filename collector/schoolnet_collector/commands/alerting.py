"""``schoolnet-collector contacts import FILE``, ``contacts webhook-key ID [--rotate]`` and
``calendar import [FILE] [--school ID]``.

Both follow ``schools import``: bad rows are named by line and skipped, good rows are kept,
and the exit status is 1 when any row was skipped, 2 when the file itself is unusable.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from schoolnet_collector.commands.common import (
    add_action,
    add_command_group,
    add_import_action,
    add_import_command,
    fail,
    finish_import,
    open_registry,
    settings_or_exit,
)

if TYPE_CHECKING:
    from schoolnet_collector.commands.common import Subcommands


def register(sub: Subcommands) -> None:
    contacts = add_command_group(sub, "contacts", "manage who hears about incidents")
    add_import_action(contacts, "import contacts from CSV (UTF-8) or YAML", run_contacts_import)
    key = add_action(
        contacts,
        "webhook-key",
        "print (or make) the key a contact's webhook messages are signed with",
        run_webhook_key,
    )
    key.add_argument("contact", type=int, metavar="CONTACT_ID")
    key.add_argument("--url", help="only this webhook address of the contact")
    key.add_argument("--rotate", action="store_true", help="replace the key with a new one")
    imp = add_import_command(
        sub,
        "calendar",
        "manage the school calendar (hours, terms, holidays)",
        "replace the province's (or one school's) calendar from YAML",
        run_calendar_import,
        nargs="?",
        help="calendar YAML; default: the packaged calendar of the current school year",
    )
    imp.add_argument("--school", metavar="ID", help="the school whose own calendar this is")


def run_contacts_import(args: argparse.Namespace) -> int:
    from schoolnet_collector.alerting.contacts import import_contacts
    from schoolnet_collector.channels.webhook import UNIT as WEBHOOK
    from schoolnet_collector.registry.schools import SchoolFileError

    allow = settings_or_exit(args).notify.settings_of(WEBHOOK).allow_networks
    try:
        with open_registry(args)() as session:
            result = import_contacts(session, args.file, allow)
    except SchoolFileError as exc:
        return fail(str(exc))
    return finish_import(
        result.errors, f"imported {result.imported} contacts ({len(result.errors)} rows skipped)"
    )


def run_webhook_key(args: argparse.Namespace) -> int:
    """Each of the contact's webhook addresses gets its own random key, made on first use and
    kept until ``--rotate``; the key is printed so the operator can give it to the receiver.
    A key stored here is preferred to ``[notify.webhook]`` keys (see channels/webhook.py)."""
    import secrets

    from schoolnet_collector.registry.alerting_models import Contact

    with open_registry(args).begin() as session:
        contact = session.get(Contact, args.contact)
        if contact is None:
            return fail(f"contact {args.contact} is not in the registry")
        rows = [
            a for a in contact.addresses if a.channel == "webhook" and args.url in (None, a.address)
        ]
        if not rows:
            where = f" {args.url!r}" if args.url else ""
            return fail(f"contact {args.contact} has no webhook address{where}")
        for row in rows:
            if args.rotate or not row.secret:
                row.secret = secrets.token_urlsafe(32)
            print(f"{row.address}\t{row.secret}")
    return 0


def run_calendar_import(args: argparse.Namespace) -> int:
    from schoolnet_collector.registry.calendar_file import CalendarFileError, import_calendar
    from schoolnet_collector.registry.models import School

    try:
        with open_registry(args)() as session:
            if args.school and session.get(School, args.school) is None:
                return fail(f"school {args.school!r} is not in the registry")
            result = import_calendar(session, args.file, args.school)
    except CalendarFileError as exc:
        return fail(str(exc))
    whose = f"school {args.school}" if args.school else "the province"
    return finish_import(
        result.errors,
        f"calendar of {whose}: {result.hours} weekdays of hours, {result.terms} "
        f"terms, {result.holidays} holidays ({len(result.errors)} rows skipped)",
    )
