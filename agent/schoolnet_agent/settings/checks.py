"""Value checks for the agent's configuration, each with the words of its error message.

A check converts an environment variable's text to its type (``parse_env``) and accepts or
refuses a value (``check``, raising :class:`Invalid`). ``expected`` is what the error message
says was expected, so every refusal reads "<key>: expected <expected>, got <value>".
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from schoolnet_agent.protocol.topics import ID_RE


class Invalid(Exception):
    """The value does not pass; the message adds detail beyond ``expected``, if any."""


def shown(value: Any) -> str:
    """A value as the user wrote it: strings in double quotes, numbers and lists as TOML-ish."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class Check:
    @property
    def expected(self) -> str:
        """What the error message says was expected (a class attribute in most checks)."""
        return "a value"

    def parse_env(self, text: str) -> Any:
        return text

    def check(self, value: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class Integer(Check):
    lo: int
    hi: int

    @property
    def expected(self) -> str:
        return f"an integer {self.lo}-{self.hi}"

    def parse_env(self, text: str) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            return text

    def check(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.lo <= value <= self.hi:
            raise Invalid()
        return value


@dataclass(frozen=True)
class Number(Check):
    lo: float
    hi: float
    unit: str = "seconds"

    @property
    def expected(self) -> str:
        return f"a number of {self.unit} {self.lo:g}-{self.hi:g}"

    def parse_env(self, text: str) -> Any:
        try:
            return float(text.strip())
        except ValueError:
            return text

    def check(self, value: Any) -> float:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not self.lo <= value <= self.hi
        ):
            raise Invalid()
        return float(value)


class Boolean(Check):
    expected = "true or false"
    WORDS: ClassVar[dict[str, Any]] = {
        "true": True,
        "1": True,
        "yes": True,
        "on": True,
        "false": False,
        "0": False,
        "no": False,
        "off": False,
    }

    def parse_env(self, text: str) -> Any:
        return self.WORDS.get(text.strip().lower(), text)

    def check(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise Invalid()
        return value


class Text(Check):
    expected = "a non-empty string"

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Invalid()
        return value


class Ident(Text):
    expected = (
        "an id of lowercase letters, digits, '-' and '_' (at most 63, first a letter or digit)"
    )

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not ID_RE.match(value):
            raise Invalid()
        return value


HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
    r"(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$"
)


class Host(Text):
    expected = "a host name or IP address"

    def check(self, value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid()
        try:
            ipaddress.ip_address(value)
            return value
        except ValueError:
            pass
        if re.fullmatch(r"[0-9.]+", value) or not HOSTNAME_RE.match(value):
            raise Invalid()
        return value


class ReadableFile(Text):
    expected = "the path of a readable file"

    def check(self, value: Any) -> str:
        if not isinstance(value, str) or not os.path.isfile(value) or not os.access(value, os.R_OK):
            raise Invalid()
        return value


@dataclass(frozen=True)
class Choice(Check):
    options: tuple[str, ...]

    @property
    def expected(self) -> str:
        return "one of " + ", ".join(self.options)

    def check(self, value: Any) -> str:
        if value not in self.options:
            hint = did_you_mean(value, self.options) if isinstance(value, str) else ""
            raise Invalid(hint)
        return cast(str, value)


@dataclass(frozen=True)
class Names(Check):
    """A list of names from a known set (probe names); in the environment, comma-separated."""

    known: tuple[str, ...]

    @property
    def expected(self) -> str:
        return "a list of probe names from " + ", ".join(self.known)

    def parse_env(self, text: str) -> Any:
        return [part.strip() for part in text.split(",") if part.strip()]

    def check(self, value: Any) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise Invalid()
        for name in value:
            if name not in self.known:
                raise Invalid(f"; {name!r} is not a probe{did_you_mean(name, self.known)}")
        return list(dict.fromkeys(value))
