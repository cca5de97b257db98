"""Requests the collector makes to addresses its users typed in (a contact's webhook URL).

A contact's URL is written by an operator with a token for one school, so it is not trusted:
pointed at 127.0.0.1, a link-local metadata address, a private address on the Sở's LAN or the
collector's own InfluxDB, it would make the collector post from inside the network what the
operator could never reach (server-side request forgery). So, at every send:

- the host is resolved here, and *every* address it resolves to is checked: loopback,
  link-local, private (RFC 1918, ULA), shared (100.64/10), multicast, reserved and unspecified
  addresses are refused, unless an admin listed the network in ``allow_networks``;
- an address:port the collector itself listens on or talks to (the broker, InfluxDB, the API)
  is refused even when allowed: no webhook is ever a way into schoolnet's own services;
- the connection goes to the address that was checked, not to a second lookup (a name that
  resolves to a public address for the check and to 127.0.0.1 for the connection, DNS
  rebinding, gains nothing); TLS still verifies the certificate against the host name;
- one deadline covers the whole request (connect, TLS, sending, the answer's status line and
  headers): a receiver that answers one byte a second is cut off at the deadline, where a
  per-read timeout would wait for ever.

This module imports nothing of the collector's, as the rest of ``channels`` (see base).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[IPAddress]]

# Ranges no receiver outside the Sở's own network lives in; each named, for the refusal.
_SPECIAL: tuple[tuple[str, IPNetwork], ...] = tuple(
    (name, ipaddress.ip_network(net))
    for name, net in (
        ("loopback", "127.0.0.0/8"),
        ("loopback", "::1/128"),
        ("unspecified", "0.0.0.0/8"),
        ("unspecified", "::/128"),
        ("link-local", "169.254.0.0/16"),
        ("link-local", "fe80::/10"),
        ("private", "10.0.0.0/8"),
        ("private", "172.16.0.0/12"),
        ("private", "192.168.0.0/16"),
        ("private", "fc00::/7"),
        ("shared (carrier-grade NAT)", "100.64.0.0/10"),
        ("multicast", "224.0.0.0/4"),
        ("multicast", "ff00::/8"),
        ("reserved", "240.0.0.0/4"),
        ("reserved", "192.0.0.0/24"),
        ("documentation", "192.0.2.0/24"),
        ("documentation", "198.51.100.0/24"),
        ("documentation", "203.0.113.0/24"),
        ("benchmarking", "198.18.0.0/15"),
        ("documentation", "2001:db8::/32"),
    )
)


class Refused(Exception):
    """The address may not be posted to; the message says which address and why."""


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (a literal address is its own answer)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host!r}: {exc}") from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


def _plain(ip: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is checked as the IPv4 address it is."""
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped if mapped is not None else ip


def special_kind(ip: IPAddress) -> str | None:
    """What makes the address unfit for an outside receiver, or None for a public one."""
    ip = _plain(ip)
    for name, net in _SPECIAL:
        if ip.version == net.version and ip in net:
            return name
    return None


@dataclass(frozen=True)
class Policy:
    """Where outbound requests may go: ``allow`` lists networks an admin vouches for (an
    internal receiver); ``own`` the address:port pairs of schoolnet's own services."""

    allow: tuple[IPNetwork, ...] = ()
    own: frozenset[tuple[IPAddress, int]] = field(default_factory=frozenset)

    @classmethod
    def build(
        cls,
        allow: Iterable[str],
        own: Iterable[tuple[str, int]] = (),
        resolver: Resolver = resolve,
    ) -> Policy:
        """``own``: (host, port) of the broker, InfluxDB, the API; a name that does not
        resolve here is skipped (nothing can reach it through a lookup either)."""
        pairs: set[tuple[IPAddress, int]] = set()
        for host, port in own:
            try:
                pairs.update((_plain(ip), port) for ip in resolver(host, port))
            except Refused:
                continue
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in allow), frozenset(pairs))

    def problem(self, ip: IPAddress, port: int) -> str | None:
        plain = _plain(ip)
        if self._is_own(plain, port):
            return f"{ip}:{port} is one of schoolnet's own services"
        kind = special_kind(plain)
        if kind is None or any(plain.version == n.version and plain in n for n in self.allow):
            return None
        return f"{ip} is not a public address ({kind}); an admin can allow it in allow_networks"

    def _is_own(self, ip: IPAddress, port: int) -> bool:
        """A service listening on every address (0.0.0.0) is reached at any loopback one."""
        if (ip, port) in self.own:
            return True
        local = ip.is_loopback or ip.is_unspecified
        return local and any(o.is_unspecified and p == port for o, p in self.own)


def literal_problem(url: str, allow: Iterable[str] = ()) -> str | None:
    """What is wrong with a webhook URL as it is typed (contacts API, contacts file), without
    a DNS lookup: a host that is an IP address or ``localhost`` is checked against the same
    rules as at send time (``allow``: ``notify.webhook.allow_networks``). A host name is left
    for the send-time check, which resolves it each time (its addresses can change)."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError as exc:
        return f"not a usable URL: {exc}"
    if host == "localhost" or host.endswith(".localhost"):
        ips: list[IPAddress] = [ipaddress.ip_address("127.0.0.1")]
    else:
        try:
            ips = [ipaddress.ip_address(host)]
        except ValueError:
            return None
    policy = Policy(tuple(ipaddress.ip_network(n, strict=False) for n in allow))
    return next((p for ip in ips if (p := policy.problem(ip, 0))), None)


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``ip``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    ip: IPAddress


def check(url: str, policy: Policy, resolver: Resolver = resolve) -> Target:
    """The URL's target, every address of its host checked; raises Refused."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Refused(f"not a usable URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials in the URL are not sent; use the signature")
    ips = resolver(parts.hostname, port)
    if not ips:
        raise Refused(f"{parts.hostname!r} resolves to no address")
    for ip in ips:
        problem = policy.problem(ip, port)
        if problem:
            raise Refused(problem)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, ips[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.ip = str(target.ip)

    def connect(self) -> None:
        self.sock = socket.create_connection((self.ip, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self.ip, self.context = str(target.ip), context

    def connect(self) -> None:
        raw = socket.create_connection((self.ip, self.port), self.timeout)
        self.sock = self.context.wrap_socket(raw, server_hostname=self.host)


def post(
    target: Target,
    body: bytes,
    headers: dict[str, str],
    deadline: float,
    context: ssl.SSLContext | None = None,
) -> int:
    """POST to the checked target, the whole exchange within ``deadline`` seconds; returns
    the HTTP status. Redirects are not followed (a 3xx is the receiver's answer). Raises
    OSError (TimeoutError at the deadline) or http.client.HTTPException."""
    conn: http.client.HTTPConnection
    if target.scheme == "https":
        conn = _PinnedHTTPS(target, deadline, context or ssl.create_default_context())
    else:
        conn = _PinnedHTTP(target, deadline)
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(deadline, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        conn.request("POST", target.path, body=body, headers=headers)
        status = conn.getresponse().status
    except (OSError, http.client.HTTPException):
        if expired.is_set():
            raise TimeoutError(f"no answer within {deadline:g} s") from None
        raise
    finally:
        watchdog.cancel()
        conn.close()
    if expired.is_set():
        raise TimeoutError(f"no answer within {deadline:g} s")
    return status
