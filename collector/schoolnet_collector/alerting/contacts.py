"""Contacts: who hears about incidents, checked the same way from a CSV/YAML file and the API.

A Sở keeps its contact list in a spreadsheet (CSV UTF-8, header row) like the school list:
``name, role`` required; ``school_id`` for a school's IT teacher (``school_it``), ``commune``
for the staff of a commune office (``commune``: the Phòng Văn hóa – Xã hội that follows the
schools the commune runs), neither for the Sở's (``province``); at least one address, in the column of each channel a contact can have (the channel
registry's ``contact_field``: today ``email, telegram_chat_id, webhook_url``); ``language`` vi
(default) or en; ``active`` (default yes). The addresses are stored as ``contact_addresses``
rows by channel kind, so a new channel is a new column here without a migration. A contact is
identified by (role, school or commune, name): a second import updates it. Every bad row is
named by line; the good rows are imported. The ``district`` role ended with the district
offices on 1 July 2025: such a row is refused with a message saying what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypedDict

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from schoolnet_agent.protocol.topics import ID_PATTERN, ID_RE
from schoolnet_collector.channels import REGISTRY, ChannelUnit, outbound
from schoolnet_collector.registry.alerting_models import Contact
from schoolnet_collector.registry.models import School
from schoolnet_collector.registry.schools import SchoolFileError, read_rows
from schoolnet_collector.registry.units import communes

CONTACT_COLUMNS = ("name", "role")
TRUE_WORDS = {"1", "true", "yes", "y", "có", "co", "x"}
FALSE_WORDS = {"0", "false", "no", "n", "không", "khong"}


def address_fields() -> tuple[str, ...]:
    """The contact's address columns, one per channel a contact can have, in routing order."""
    return tuple(u.contact_field for u in REGISTRY.contact_units() if u.contact_field)


def _channel_rules(schema: dict[str, JsonValue]) -> None:
    """Write the rules between fields into the published JSON Schema too, so API clients (and
    schema-driven tests) know them: each role names its place, and one channel is needed."""
    place: dict[str, JsonValue] = {"type": "string", "pattern": ID_PATTERN}
    absent: dict[str, JsonValue] = {"type": "null"}
    schema["oneOf"] = [
        {
            "properties": {"role": {"const": "school_it"}, "school_id": place, "commune": absent},
            "required": ["role", "school_id"],
        },
        {
            "properties": {"role": {"const": "commune"}, "commune": place, "school_id": absent},
            "required": ["role", "commune"],
        },
        {
            "properties": {"role": {"const": "province"}, "school_id": absent, "commune": absent},
            "required": ["role"],
        },
    ]
    schema["anyOf"] = [
        {"properties": {c: {"type": "string"}}, "required": [c]} for c in address_fields()
    ]


class _SchemaPattern(TypedDict):
    json_schema_extra: dict[str, JsonValue]


def _pattern(regex: re.Pattern[str]) -> _SchemaPattern:
    return {"json_schema_extra": {"pattern": regex.pattern}}


Role = Literal["school_it", "commune", "province"]
LEGACY_ROLE_MESSAGE = (
    "the district role ended with the district education offices on 1 July 2025: "
    "use role commune with the commune's code (or province for the Sở's staff)"
)
Language = Literal["vi", "en"]


class ContactBase(BaseModel):
    """A contact without its addresses; ``ContactIn`` adds one field per channel a contact can
    have, from the channel registry."""

    model_config = ConfigDict(extra="ignore", json_schema_extra=_channel_rules)

    name: str = Field(min_length=1, max_length=200)
    role: Role
    school_id: str | None = Field(None, max_length=63, **_pattern(re.compile(ID_PATTERN)))
    commune: str | None = Field(None, max_length=63, **_pattern(re.compile(ID_PATTERN)))
    language: Language = "vi"
    active: bool = True

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ContactBase:
        """A spreadsheet row: cells trimmed, an empty cell means "not given", yes/có/1 for
        ``active``, an address read as a number (a Telegram id) kept as text."""
        fields = address_fields()
        data: dict[str, object] = {}
        for key, value in row.items():
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    continue
                if key == "active" and value.lower() in TRUE_WORDS | FALSE_WORDS:
                    value = value.lower() in TRUE_WORDS
            elif value is None:
                continue
            elif key in fields and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
            data[key] = value
        return cls.model_validate(data)

    def addresses(self) -> dict[str, str]:
        """Channel name -> the address given for it."""
        out = {}
        for unit in REGISTRY.contact_units():
            value = getattr(self, unit.contact_field or "", None)
            if value:
                out[unit.name] = value
        return out

    @field_validator("role", mode="before")
    @classmethod
    def _no_legacy_role(cls, value: object) -> object:
        if value == "district":
            raise ValueError(LEGACY_ROLE_MESSAGE)
        return value

    @field_validator("school_id", "commune")
    @classmethod
    def _ids(cls, value: str | None) -> str | None:
        if value is not None and not ID_RE.match(value):
            raise ValueError(f"{value!r} must be an id (lowercase letters, digits, '-', '_')")
        return value

    @model_validator(mode="after")
    def _role_has_its_place_and_a_channel(self) -> ContactBase:
        if self.role == "school_it" and (not self.school_id or self.commune):
            raise ValueError("a school_it contact needs school_id (and no commune)")
        if self.role == "commune" and (not self.commune or self.school_id):
            raise ValueError("a commune contact needs commune (and no school_id)")
        if self.role == "province" and (self.school_id or self.commune):
            raise ValueError("a province contact has neither school_id nor commune")
        if not self.addresses():
            raise ValueError(f"give at least one of {', '.join(address_fields())}")
        return self

    def scope(self) -> str:
        """The token scope a caller needs to manage this contact."""
        if self.role == "school_it":
            return f"school:{self.school_id}"
        if self.role == "commune":
            return f"commune:{self.commune}"
        return "province"


def _address_field(unit: ChannelUnit[Any]) -> tuple[Any, Any]:
    rule = unit.address
    assert rule is not None  # contact units have one
    return (
        Annotated[str | None, AfterValidator(lambda v: None if v is None else rule.check(v))],
        Field(
            None,
            max_length=rule.max_length,
            description=rule.description,
            json_schema_extra={"pattern": rule.pattern.pattern},
        ),
    )


if TYPE_CHECKING:
    ContactIn = ContactBase
else:
    ContactIn = create_model(
        "ContactIn",
        __base__=ContactBase,
        __module__=__name__,
        __doc__="A contact: the API's request body, and each file row (after ``from_row``).",
        **{u.contact_field: _address_field(u) for u in REGISTRY.contact_units()},
    )


def describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def check_places(
    session: Session, contact: ContactIn, allow_networks: Iterable[str] = ()
) -> str | None:
    """The problem with the school or commune the contact names, or with a webhook address
    that is plainly not a receiver's (loopback, private, link-local… as an IP address or
    ``localhost``, outside ``notify.webhook.allow_networks``); None when there is none. The
    send-time check still resolves every host name (``channels.outbound``)."""
    url = getattr(contact, "webhook_url", None)
    refused = outbound.literal_problem(url, allow_networks) if url else None
    if refused:
        return f"webhook_url: {refused}"
    if contact.school_id and session.get(School, contact.school_id) is None:
        return f"school {contact.school_id!r} is not in the registry"
    if contact.commune and contact.commune not in communes(session):
        return f"commune {contact.commune!r} is not in the registry (import the unit file first)"
    return None


def apply(contact: Contact, data: ContactBase) -> Contact:
    """The row takes the contact's fields, and one address per channel as given (a channel
    left out loses its address, as an emptied column did)."""
    addresses = data.addresses()
    for key in ContactBase.model_fields:
        setattr(contact, key, getattr(data, key))
    for unit in REGISTRY.contact_units():
        contact.set_addresses(unit.name, [addresses[unit.name]] if unit.name in addresses else [])
    return contact


@dataclass
class ContactImport:
    imported: int = 0
    errors: list[str] = field(default_factory=list)


def import_contacts(
    session: Session, path: Path, allow_networks: Iterable[str] = ()
) -> ContactImport:
    """Import contacts from CSV/YAML; raises SchoolFileError when the file itself is unusable."""
    result = ContactImport()
    rows = read_rows(Path(path), required=CONTACT_COLUMNS, what="contacts")
    existing = {
        (c.role, c.school_id, c.commune, c.name): c for c in session.scalars(select(Contact))
    }
    seen: set[tuple[str, str | None, str | None, str]] = set()
    for line, row in rows:
        if not isinstance(row, dict):
            result.errors.append(f"{Path(path).name}:{line}: not a mapping")
            continue
        try:
            data = ContactIn.from_row(row)
        except ValidationError as exc:
            result.errors.append(f"{Path(path).name}:{line}: {describe(exc)}")
            continue
        problem = check_places(session, data, allow_networks)
        ident = (data.role, data.school_id, data.commune, data.name)
        if problem is None and ident in seen:
            problem = f"{data.name!r} appears twice for the same school/commune"
        if problem:
            result.errors.append(f"{Path(path).name}:{line}: {problem}")
            continue
        seen.add(ident)
        session.add(apply(existing.get(ident) or Contact(), data))
        result.imported += 1
    session.commit()
    return result


__all__ = [
    "ContactBase",
    "ContactImport",
    "ContactIn",
    "SchoolFileError",
    "address_fields",
    "apply",
    "check_places",
    "describe",
    "import_contacts",
]
