"""A small PJLink client (class 1 and class 2 queries) for the gateway's projector probe.

Why our own and not a library: ``pypjlink2`` (the maintained fork of ``pypjlink``) speaks class 1
only and its last release is from 2020; ``aiopjlink`` speaks class 2 but needs an asyncio loop in
an agent that is otherwise plain threads. What the probe needs is small: open a TCP connection
with a timeout on every step (a projector in eco standby often accepts nothing or says nothing,
and that must cost seconds, not hang a report), authenticate, send a handful of ``?`` queries and
read one CR-terminated reply each. Nothing here sends commands that change a projector's state.

The wire protocol (PJLink specification, class 1 v1.04 and class 2 v2.00), port 4352 TCP:

* On connect the projector greets ``PJLINK 0`` (no password) or ``PJLINK 1 <random>`` (8 hex
  characters). With a password, the first command is prefixed by
  ``md5(random + password)`` as 32 lowercase hex characters; later commands on the same
  connection are not. A wrong digest (or a missing one) is answered ``PJLINK ERRA``.
* A query is ``%<class><CMD> ?\\r``; the reply ``%<class><CMD>=<value>\\r``, or ``=ERR1``
  (undefined command), ``=ERR2`` (out of parameter), ``=ERR3`` (unavailable time, e.g. the
  input while in standby), ``=ERR4`` (projector/display failure).
* Replies are at most 136 bytes; the projector closes an idle connection after 30 s.
"""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

PORT = 4352
MAX_REPLY = 136 + 64  # a little slack for projectors that pad their replies
ERRORS = {
    "ERR1": "undefined command",
    "ERR2": "out of parameter",
    "ERR3": "unavailable time (e.g. the projector is in standby)",
    "ERR4": "projector/display failure",
}
POWER_STATES = {"0": "off", "1": "on", "2": "cooling", "3": "warming"}
# ERST digits, in order; each 0 ok, 1 warning, 2 error.
ERROR_PARTS = ("fan", "lamp", "temperature", "cover", "filter", "other")


class PJLinkError(Exception):
    """Any failure to get an answer from a projector."""


class PJLinkUnreachable(PJLinkError):
    """No PJLink conversation: refused, timed out or silent. Projectors in eco standby switch
    their network off or stop answering, so this is a state, not a fault."""


class PJLinkAuthError(PJLinkError):
    """ERRA: the projector wants a password and ours is missing or wrong."""


class PJLinkProtocolError(PJLinkError):
    """The other side answered, but not in PJLink."""


class PJLinkCommandError(PJLinkError):
    """A query answered with ERR1–ERR4."""

    def __init__(self, command: str, code: str):
        super().__init__(f"{command}: {code} ({ERRORS.get(code, 'unknown error')})")
        self.command = command
        self.code = code


def auth_digest(random: str, password: str) -> str:
    """PJLink's authentication: MD5 of the projector's random string followed by the password."""
    return hashlib.md5((random + password).encode("utf-8")).hexdigest()


class PJLinkClient:
    """One connection to one projector; use as a context manager.

    ``timeout`` bounds each step (connect, greeting, each reply), not the whole conversation.
    """

    def __init__(
        self, host: str, port: int = PORT, password: str | None = None, timeout: float = 3.0
    ):
        self.host, self.port, self.password, self.timeout = host, port, password, timeout
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._digest: str | None = None  # prefix for the first command only
        self.authenticated = False

    def __enter__(self) -> PJLinkClient:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:  # refused, timed out, no route: all mean "not answering now"
            raise PJLinkUnreachable(f"{self.host}:{self.port}: {_why(exc)}") from None
        greeting = self._read_line("greeting")
        if greeting == "PJLINK 0":
            return
        if greeting == "PJLINK ERRA":
            raise PJLinkAuthError(f"{self.host}:{self.port} refused us at once (ERRA)")
        parts = greeting.split(" ")
        if len(parts) == 3 and parts[:2] == ["PJLINK", "1"] and parts[2]:
            if not self.password:
                raise PJLinkAuthError(
                    f"{self.host}:{self.port} asks for a password and none is configured"
                )
            self._digest = auth_digest(parts[2], self.password)
            self.authenticated = True
            return
        raise PJLinkProtocolError(
            f"{self.host}:{self.port} greeted {greeting[:40]!r}, not PJLINK 0/1"
        )

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def query(self, command: str, pjclass: int = 1, argument: str = "?") -> str:
        """Send ``%<class><command> <argument>`` and return the value after ``=``.

        Raises PJLinkCommandError for ERR1–ERR4, PJLinkAuthError for ERRA."""
        if self._sock is None:
            raise PJLinkError("not connected")
        head = f"%{pjclass}{command}"
        line = f"{head} {argument}\r"
        if self._digest is not None:
            line, self._digest = self._digest + line, None
        try:
            self._sock.sendall(line.encode("ascii"))
        except OSError as exc:
            raise PJLinkUnreachable(
                f"{self.host}:{self.port}: sending {command}: {_why(exc)}"
            ) from None
        reply = self._read_line(command)
        if reply == "PJLINK ERRA":
            raise PJLinkAuthError(f"{self.host}:{self.port}: password refused (ERRA)")
        name, sep, value = reply.partition("=")
        if not sep or name.upper() != head.upper():
            raise PJLinkProtocolError(f"{self.host}:{self.port}: {command} answered {reply[:60]!r}")
        if value.upper() in ERRORS:
            raise PJLinkCommandError(command, value.upper())
        return value

    def _read_line(self, what: str) -> str:
        assert self._sock is not None
        while b"\r" not in self._buffer:
            if len(self._buffer) > MAX_REPLY:
                raise PJLinkProtocolError(
                    f"{self.host}:{self.port}: {what}: reply over {MAX_REPLY} bytes without CR"
                )
            try:
                chunk = self._sock.recv(256)
            except TimeoutError:
                raise PJLinkUnreachable(
                    f"{self.host}:{self.port}: no {what} within {self.timeout:g} s"
                ) from None
            except OSError as exc:
                raise PJLinkUnreachable(f"{self.host}:{self.port}: {what}: {_why(exc)}") from None
            if not chunk:
                raise PJLinkUnreachable(
                    f"{self.host}:{self.port}: connection closed before the {what}"
                )
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\r")
        return line.decode("utf-8", "replace").strip("\n")


@dataclass
class Status:
    """What one poll of a projector found; fields are None when the projector did not say."""

    pjclass: int = 1
    power: str | None = None  # off, on, cooling, warming
    errors: dict[str, int] = field(default_factory=dict)  # fan/lamp/...: 0 ok, 1 warning, 2 error
    failure: bool = False  # some query answered ERR4
    lamps: list[tuple[int, bool]] = field(default_factory=list)  # (hours, lit) per lamp
    input: str | None = None  # e.g. "31" (class 1) or "3A" (class 2)
    manufacturer: str | None = None
    model: str | None = None
    name: str | None = None
    other_info: str | None = None
    serial: str | None = None  # class 2
    software_version: str | None = None  # class 2
    filter_hours: int | None = None  # class 2
    command_errors: dict[str, str] = field(default_factory=dict)  # command -> ERRn


def parse_power(value: str) -> str:
    try:
        return POWER_STATES[value.strip()]
    except KeyError:
        raise PJLinkProtocolError(f"POWR value {value!r} is not 0-3") from None


def parse_errors(value: str) -> dict[str, int]:
    value = value.strip()
    if len(value) != 6 or any(c not in "012" for c in value):
        raise PJLinkProtocolError(f"ERST value {value!r} is not six digits 0-2")
    return {part: int(c) for part, c in zip(ERROR_PARTS, value, strict=False)}


def parse_lamps(value: str) -> list[tuple[int, bool]]:
    """``LAMP`` lists ``hours on/off`` pairs, one per lamp (``1200 1 900 0``)."""
    words = value.split()
    if (
        not words
        or len(words) % 2
        or not all(w.isdigit() for w in words)
        or any(w not in ("0", "1") for w in words[1::2])
    ):
        raise PJLinkProtocolError(f"LAMP value {value!r} is not pairs of hours and 0/1")
    return [(int(words[i]), words[i + 1] == "1") for i in range(0, len(words), 2)]


def poll(client: PJLinkClient) -> Status:
    """Ask everything the probe reports, over one connected client.

    POWR must answer (it is the one query every projector answers in standby); every other
    query may fail on its own with ERR1–ERR4 and only leaves its value out.
    """
    status = Status()
    try:
        status.pjclass = 2 if client.query("CLSS").strip() == "2" else 1
    except PJLinkCommandError as exc:
        status.command_errors["CLSS"] = exc.code
    try:
        status.power = parse_power(client.query("POWR"))
    except PJLinkCommandError as exc:
        status.command_errors["POWR"] = exc.code
        status.failure = exc.code == "ERR4"
    status.errors = _optional(client, status, "ERST", parse_errors) or {}
    status.lamps = _optional(client, status, "LAMP", parse_lamps) or []
    status.input = _optional(client, status, "INPT", str.strip, pjclass=status.pjclass)
    status.manufacturer = _optional(client, status, "INF1", _text)
    status.model = _optional(client, status, "INF2", _text)
    status.name = _optional(client, status, "NAME", _text)
    status.other_info = _optional(client, status, "INFO", _text)
    if status.pjclass == 2:
        status.serial = _optional(client, status, "SNUM", _text, pjclass=2)
        status.software_version = _optional(client, status, "SVER", _text, pjclass=2)
        hours = _optional(client, status, "FILT", str.strip, pjclass=2)
        status.filter_hours = int(hours) if hours and hours.isdigit() else None
    return status


def _optional(
    client: PJLinkClient,
    status: Status,
    command: str,
    parse: Callable[[str], T],
    pjclass: int = 1,
) -> T | None:
    """The parsed value, or None when the projector refused (ERRn) or garbled it ("bad")."""
    try:
        value = client.query(command, pjclass)
    except PJLinkCommandError as exc:
        status.command_errors[command] = exc.code
        if exc.code == "ERR4":
            status.failure = True
        return None
    try:
        return parse(value)
    except PJLinkProtocolError:
        status.command_errors[command] = "bad"
        return None


def _text(value: str) -> str | None:
    return value.strip()[:64] or None


def _why(exc: OSError) -> str:
    if isinstance(exc, socket.timeout):
        return "timed out"
    return exc.strerror or type(exc).__name__
