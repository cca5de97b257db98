"""TLS context for the broker connection, and a diagnosis when connecting fails.

paho's ``on_connect_fail`` callback does not say why a connection failed, and "cannot reach
the broker" is a poor message when the real reason is an expired certificate or a wrong CA
file. So on the first failure of an outage the transport tries one plain TCP connection (and
TLS handshake) itself and logs the operating system's or OpenSSL's own words.
"""

from __future__ import annotations

import socket
import ssl


def tls_context(
    ca_file: str | None, cert_file: str | None, key_file: str | None, check_hostname: bool = True
) -> ssl.SSLContext:
    """The system's CAs (or ``ca_file``), an optional client certificate; raises ssl.SSLError
    or OSError for a file that is not usable."""
    context = ssl.create_default_context(cafile=ca_file)
    if cert_file:
        context.load_cert_chain(cert_file, key_file)
    context.check_hostname = check_hostname
    return context


def diagnose(host: str, port: int, context: ssl.SSLContext | None, timeout: float = 5.0) -> str:
    """Why connecting to ``host:port`` fails, in a few words; "" if TCP and TLS both work."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            if context is not None:
                with context.wrap_socket(sock, server_hostname=host):
                    pass
    except ssl.SSLCertVerificationError as exc:
        return f"TLS certificate not accepted: {exc.verify_message or exc}"
    except ssl.SSLError as exc:
        return f"TLS: {exc.reason or exc}"
    except OSError as exc:
        return exc.strerror or str(exc)
    return ""
