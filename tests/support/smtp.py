"""A real SMTP server for the notification tests (aiosmtpd on 127.0.0.1, a free port).

Plain, STARTTLS or implicit TLS with a throw-away certificate for 127.0.0.1 (openssl), so
the collector's smtplib code runs its real TLS handshake and certificate check.
"""

from __future__ import annotations

import email
import email.policy
import subprocess
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller

from devenv.services import free_port, refuse_if_forbidden


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate valid for IP 127.0.0.1 (the client's CA file is the cert)."""
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class _Inbox:
    def __init__(self, refuse: tuple[str, ...]):
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = refuse
        self.changed = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if any(address.endswith(r) for r in self.refuse):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.changed:
            self.messages.append(msg)
            self.changed.notify_all()
        return "250 Message accepted for delivery"


class SmtpServer:
    """``with SmtpServer(mode="starttls", cert=...) as smtp:`` → ``smtp.port``, ``smtp.messages``."""

    def __init__(
        self,
        mode: str = "plain",
        cert: tuple[Path, Path] | None = None,
        refuse: tuple[str, ...] = (),
    ):
        import ssl

        self.mode, self.port = mode, free_port()
        self.inbox = _Inbox(refuse)
        kwargs: dict = {}
        if mode != "plain":
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(cert[0]), str(cert[1]))
            if mode == "ssl":
                kwargs["ssl_context"] = ctx
            else:
                kwargs.update(tls_context=ctx, require_starttls=True)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)

    @property
    def messages(self) -> list:
        return list(self.inbox.messages)

    def wait_for(self, count: int, timeout: float = 10.0) -> list:
        deadline = time.monotonic() + timeout
        with self.inbox.changed:
            while len(self.inbox.messages) < count and time.monotonic() < deadline:
                self.inbox.changed.wait(max(0.0, deadline - time.monotonic()))
            return list(self.inbox.messages)

    def __enter__(self) -> SmtpServer:
        refuse_if_forbidden("SMTP server")
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
