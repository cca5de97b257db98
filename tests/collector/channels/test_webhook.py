"""The webhook against a signature-checking receiver: the signature verified, sign and verify
agreeing on the documented material, a server error retried."""

from __future__ import annotations

import time

import pytest

from schoolnet_collector.channels import DeliveryError
from schoolnet_collector.channels.webhook import WebhookChannel, sign, verify
from tests.support.notify import MSG
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.services


def test_webhook_signature_is_verified_by_the_receiver():
    with WebhookReceiver("s3cret") as rx:
        WebhookChannel(lambda url: "s3cret").send(MSG, rx.url)
        with pytest.raises(DeliveryError) as err:
            WebhookChannel(lambda url: "not-the-secret").send(MSG, rx.url)
        assert err.value.permanent and "401" in str(err.value)
        # A captured request replayed ten minutes later fails the timestamp check.
        with pytest.raises(DeliveryError):
            WebhookChannel(lambda url: "s3cret", clock=lambda: time.time() - 600).send(MSG, rx.url)
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
        WebhookChannel(lambda url: "s3cret").send(MSG, rx.url)
    assert not err.value.permanent and "503" in str(err.value)
