"""The webhook against a signature-checking receiver: the signature verified, sign and verify
agreeing on the documented material, a server error retried, and what a contact's URL may not
do (issue 13): reach loopback, private or link-local addresses or the collector's own
services, hold a send past its deadline, or borrow another contact's key."""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import re
import socket
import threading
import time

import pytest

from schoolnet_collector.channels import DeliveryError, outbound
from schoolnet_collector.channels.webhook import WebhookChannel, WebhookConfig, sign, verify
from tests.support.notify import MSG
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.services

LOOPBACK_ALLOWED = outbound.Policy.build(["127.0.0.0/8"])


def _channel(secret: str = "s3cret", **kwargs) -> WebhookChannel:
    kwargs.setdefault("policy", LOOPBACK_ALLOWED)
    return WebhookChannel(lambda contact, url: secret, **kwargs)


def test_webhook_signature_is_verified_by_the_receiver():
    with WebhookReceiver("s3cret") as rx:
        _channel().send(MSG, rx.url)
        with pytest.raises(DeliveryError) as err:
            _channel("not-the-secret").send(MSG, rx.url)
        assert err.value.permanent and "401" in str(err.value)
        # A captured request replayed ten minutes later fails the timestamp check.
        with pytest.raises(DeliveryError):
            _channel(clock=lambda: time.time() - 600).send(MSG, rx.url)
    [got] = rx.accepted
    assert got["body"]["school"] == "lc-test-01" and got["body"]["subject"] == MSG.subject
    assert got["headers"]["X-Schoolnet-Delivery"] == MSG.dedup_key
    assert len(rx.rejected) == 2


def test_webhook_sign_and_verify_agree_on_the_documented_material():
    body = b'{"a": 1}'
    expected = "sha256=" + __import__("hmac").new(b"k", b"1700000000." + body, "sha256").hexdigest()
    assert sign("k", 1700000000, body) == expected
    assert verify("k", "1700000000", body, expected, now=1700000100)
    assert not verify("k", "1700000000", body + b" ", expected, now=1700000100)
    assert not verify("k", "1700000000", body, expected, now=1700000400)
    assert not verify("k", "not-a-number", body, expected, now=1700000000)


def test_webhook_server_error_is_retried():
    with WebhookReceiver("s3cret", status=503) as rx, pytest.raises(DeliveryError) as err:
        _channel().send(MSG, rx.url)
    assert not err.value.permanent and "503" in str(err.value)


@pytest.mark.parametrize(
    "url_of,why",
    [
        (
            lambda port: f"http://127.0.0.1:{port}/hook",
            "127.0.0.1 is not a public address (loopback)",
        ),
        (lambda port: f"http://localhost:{port}/hook", "(loopback)"),
        (
            lambda port: f"http://127.7.7.7:{port}/hook",
            "127.7.7.7 is not a public address (loopback)",
        ),
        (lambda port: f"http://[::ffff:127.0.0.1]:{port}/hook", "(loopback)"),
        (lambda port: f"http://0.0.0.0:{port}/hook", "(unspecified)"),
    ],
)
def test_by_default_a_webhook_cannot_reach_this_host(url_of, why):
    """Without an admin's allowlist, every spelling of this machine is refused before any
    connection, and the refusal is permanent (retrying will not make it allowed)."""
    with WebhookReceiver("s3cret") as rx:
        with pytest.raises(DeliveryError) as err:
            WebhookChannel(lambda contact, url: "s3cret").send(MSG, url_of(rx.server.server_port))
    assert err.value.permanent and why in str(err.value), err.value
    assert rx.times == []  # nothing reached the receiver


@pytest.mark.parametrize(
    "address,kind",
    [
        ("10.1.2.3", "private"),
        ("172.20.0.9", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("fe80::1", "link-local"),
        ("fd00::5", "private"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_private_link_local_and_shared_addresses_are_refused(address, kind):
    """A name resolving to one of these is refused like the literal (the resolver stands in
    for DNS; no packet is sent by check())."""

    def dns(host, port):
        return [ipaddress.ip_address(address)]

    with pytest.raises(outbound.Refused) as err:
        outbound.check("http://hook.example/x", outbound.Policy(), dns)
    assert f"{address} is not a public address ({kind})" in str(err.value)


def test_a_name_with_one_bad_address_among_good_ones_is_refused():
    """Every address the name resolves to is checked, not only the first."""
    both = [ipaddress.ip_address(a) for a in ("93.184.216.34", "10.0.0.7")]
    with pytest.raises(outbound.Refused, match=r"10.0.0.7 is not a public address \(private\)"):
        outbound.check("https://hook.example/x", outbound.Policy(), lambda h, p: both)
    target = outbound.check(
        "https://hook.example:8443/in?school=1", outbound.Policy(), lambda h, p: both[:1]
    )
    assert (target.host, target.port, target.path, str(target.ip)) == (
        "hook.example",
        8443,
        "/in?school=1",
        "93.184.216.34",
    )


def test_an_allowlisted_network_is_reachable_but_never_our_own_services():
    """An admin's allowlist lets an internal receiver in; the collector's own broker, InfluxDB
    and API stay refused even inside it (also when they listen on 0.0.0.0)."""
    with WebhookReceiver("s3cret") as rx, WebhookReceiver("s3cret") as ours:
        own = [("127.0.0.1", ours.server.server_port), ("0.0.0.0", 18086)]
        policy = outbound.Policy.build(["127.0.0.0/8"], own)
        _channel(policy=policy).send(MSG, rx.url)
        for url in (ours.url, "http://127.0.0.1:18086/write", "http://localhost:18086/query"):
            with pytest.raises(DeliveryError, match="one of schoolnet's own services") as err:
                _channel(policy=policy).send(MSG, url)
            assert err.value.permanent
    assert len(rx.accepted) == 1 and ours.times == []


@pytest.mark.parametrize(
    "url,why",
    [
        ("ftp://hook.example/x", "not an http(s) URL"),
        ("file:///etc/passwd", "not an http(s) URL"),
        ("http://user:pw@hook.example/x", "credentials in the URL"),
        ("http://hook.example:99999/x", "not a usable URL"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason(url, why):
    with pytest.raises(outbound.Refused, match=re.escape(why)):
        outbound.check(url, outbound.Policy())


def test_allow_networks_must_be_networks():
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33' is not a network")):
        WebhookConfig(allow_networks=["10.0.0.0/33"])
    assert WebhookConfig(allow_networks=["10.20.0.0/16"]).allow_networks == ["10.20.0.0/16"]


def _drip_server(stop: threading.Event) -> int:
    """A receiver that answers one byte every 0.2 s, so a per-read timeout never fires; after
    6 s it hangs up, so a broken deadline fails the test instead of hanging it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)

    def run():
        conns = []
        until = time.monotonic() + 6.0
        while not stop.is_set() and time.monotonic() < until:
            try:
                conn, _ = server.accept()
                conns.append(conn)
            except TimeoutError:
                pass
            for conn in conns:
                with contextlib.suppress(OSError):
                    conn.send(b"H")
        for conn in conns:
            conn.close()
        server.close()

    threading.Thread(target=run, daemon=True).start()
    return server.getsockname()[1]


def test_a_receiver_that_drips_its_answer_is_cut_at_the_deadline():
    stop = threading.Event()
    port = _drip_server(stop)
    try:
        start = time.monotonic()
        with pytest.raises(DeliveryError, match="TimeoutError") as err:
            _channel(timeout=1.0).send(MSG, f"http://127.0.0.1:{port}/hook")
        took = time.monotonic() - start
    finally:
        stop.set()
    assert not err.value.permanent  # a slow receiver may be back later: retried
    assert 0.9 <= took < 2.5, took


def test_the_key_is_chosen_by_contact_not_by_url():
    """Two contacts at the same URL: each message is signed with its own contact's key, so a
    contact who copied another school's receiver URL is not signed as that school."""
    keys = {1: "key-of-school-1", 2: "key-of-school-2"}
    channel = WebhookChannel(lambda contact, url: keys.get(contact), policy=LOOPBACK_ALLOWED)
    with WebhookReceiver("key-of-school-1") as rx:
        channel.send(dataclasses.replace(MSG, contact_id=1), rx.url)
        with pytest.raises(DeliveryError, match="401"):
            channel.send(dataclasses.replace(MSG, contact_id=2), rx.url)
    assert len(rx.accepted) == 1 and len(rx.rejected) == 1
