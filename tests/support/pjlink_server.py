"""A PJLink projector as a real TCP server on 127.0.0.1 (a free port), for the probe's tests.

It speaks the wire protocol as the specification describes it (class 1 v1.04, class 2 v2.00):
the ``PJLINK 0`` / ``PJLINK 1 <random>`` greeting, MD5 authentication of the first command,
``PJLINK ERRA`` and a closed connection on a wrong or missing digest, ``=ERR1`` for an unknown
command (and for class 2 commands on a class 1 projector), ``=ERR2`` for a bad argument,
``=ERR3`` for the input while not on, and any reply forced to ``ERRn`` by the test. In
``silent`` mode it accepts connections and never says a word, as a projector in eco standby
whose network stack half-sleeps.
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class FakeProjector:
    """The projector's state; tests change it between polls."""

    password: str | None = None
    pjclass: int = 1
    power: str = "1"  # 0 off, 1 on, 2 cooling, 3 warming
    erst: str = "000000"  # fan, lamp, temperature, cover, filter, other
    lamps: str | None = "1500 1"  # None: no lamp (LED/laser) -> ERR1
    input: str = "31"
    name: str = "Phong Tin 1"
    manufacturer: str = "EPSON"
    model: str = "EB-X05"
    info: str = "LAN"
    serial: str = "X5KF1234567"
    software: str = "1.02"
    filter_hours: str = "420"
    silent: bool = False  # eco standby: accept, never answer
    forced: dict[str, str] = field(default_factory=dict)  # command -> "ERR1".."ERR4"
    received: list[str] = field(default_factory=list)  # every line, digest stripped

    def answer(self, pjclass: str, command: str, argument: str) -> str:
        head = f"%{pjclass}{command}"
        if command in self.forced:
            return f"{head}={self.forced[command]}"
        values = self._values(pjclass)
        if command not in values:
            return f"{head}=ERR1"
        if argument != "?" and not (command == "INNM" and argument.startswith("?")):
            return f"{head}=ERR2"
        value = values[command]
        return f"{head}={value}" if value is not None else f"{head}=ERR1"

    def _values(self, pjclass: str) -> dict[str, str | None]:
        off = self.power != "1"
        values = {
            "POWR": self.power,
            "ERST": self.erst,
            "LAMP": self.lamps,
            "INPT": "ERR3" if off else self.input,
            "NAME": self.name,
            "INF1": self.manufacturer,
            "INF2": self.model,
            "INFO": self.info,
            "CLSS": str(self.pjclass),
            "AVMT": "30",
            "INST": "11 31 32",
        }
        if pjclass == "2":
            if self.pjclass < 2:
                return {}
            values = {
                "INPT": values["INPT"],
                "SNUM": self.serial,
                "SVER": self.software,
                "FILT": self.filter_hours,
                "INST": "11 31 3A",
            }
        return values


class _Handler(socketserver.StreamRequestHandler):
    timeout = 10

    def handle(self) -> None:
        server: PJLinkServer = self.server  # type: ignore[assignment]
        projector = server.projector
        if projector.silent:
            server.stopping.wait()
            return
        random = None
        if projector.password is not None:
            random = secrets.token_hex(4)
            self._send(f"PJLINK 1 {random}")
        else:
            self._send("PJLINK 0")
        first = True
        while not server.stopping.is_set():
            try:
                raw = self._read_line()
            except (OSError, ValueError):
                return
            if raw is None:
                return
            if first and random is not None:
                expected = hashlib.md5((random + projector.password).encode()).hexdigest()
                if raw[:32] != expected:
                    projector.received.append(raw[32:] if raw[:1] != "%" else raw)
                    self._send("PJLINK ERRA")
                    return
                raw = raw[32:]
            first = False
            projector.received.append(raw)
            self._send(self._reply(projector, raw))

    def _reply(self, projector: FakeProjector, line: str) -> str:
        if len(line) < 7 or line[0] != "%" or line[1] not in "12" or line[6] != " ":
            return f"{line[:6]}=ERR1"
        return projector.answer(line[1], line[2:6].upper(), line[7:])

    def _read_line(self) -> str | None:
        data = b""
        while not data.endswith(b"\r"):
            byte = self.rfile.read(1)
            if not byte:
                return None
            data += byte
            if len(data) > 200:
                raise ValueError("line too long")
        return data[:-1].decode("ascii", "replace")

    def _send(self, line: str) -> None:
        self.wfile.write(line.encode("utf-8") + b"\r")
        self.wfile.flush()


class PJLinkServer(socketserver.ThreadingTCPServer):
    """``with PJLinkServer(FakeProjector(...)) as server: ... server.port``"""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, projector: FakeProjector | None = None):
        self.projector = projector or FakeProjector()
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), _Handler)
        self.port = self.server_address[1]
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> PJLinkServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
        self._thread.join(5)


def free_closed_port() -> int:
    """A loopback port with nothing listening (connections to it are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
