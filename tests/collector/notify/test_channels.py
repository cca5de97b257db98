"""Each delivery channel against a real server: SMTP (aiosmtpd: plain, STARTTLS, implicit TLS),
the Telegram Bot API (a local server speaking its JSON), a signature-checking webhook receiver,
and the MQTT alert topic on the test broker."""

from __future__ import annotations

import json
import time

import pytest

from devenv.services import free_port
from schoolnet_collector.core.config import AlertTopicConfig, MqttConfig, SmtpConfig, TelegramConfig
from schoolnet_collector.notify.channels import DeliveryError, Message
from schoolnet_collector.notify.channels.mqtt import MqttAlertChannel
from schoolnet_collector.notify.channels.smtp import SmtpChannel
from schoolnet_collector.notify.channels.telegram import TelegramChannel
from schoolnet_collector.notify.channels.webhook import WebhookChannel, sign, verify
from tests.support.smtp import SmtpServer, make_certificate
from tests.support.telegram_fake import FakeTelegram
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.services


MSG = Message(
    subject="[Trường THCS Thử Nghiệm 1] Trường mất kết nối từ 07:45",
    body="Kiểm tra nguồn điện và modem/router của trường.\n",
    event={"event": "incident", "school": "lc-test-01"},
    dedup_key="incident:1:opened:0:1:email",
)


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("smtp-cert"))


@pytest.mark.parametrize(
    "mode,security", [("plain", "none"), ("starttls", "starttls"), ("ssl", "ssl")]
)
def test_email_arrives_in_vietnamese_over_each_security(cert, mode, security):
    with SmtpServer(mode, cert) as smtp:
        channel = SmtpChannel(
            SmtpConfig(
                host="127.0.0.1",
                port=smtp.port,
                security=security,
                ca_file=cert[0],
                sender="schoolnet <alerts@so-gddt.test>",
            )
        )
        channel.send(MSG, "gv-tin@school.test")
        [mail] = smtp.wait_for(1)
    assert mail["Subject"] == MSG.subject
    assert mail["To"] == "gv-tin@school.test"
    assert "modem/router" in mail.get_content()
    assert mail["Message-ID"] == "<incident.1.opened.0.1.email@schoolnet>"


def test_starttls_refuses_a_certificate_it_cannot_verify(cert):
    with SmtpServer("starttls", cert) as smtp:
        channel = SmtpChannel(SmtpConfig(host="127.0.0.1", port=smtp.port, security="starttls"))
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, "gv-tin@school.test")
        assert not smtp.messages
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value) and not err.value.permanent


def test_refused_recipient_is_permanent_and_a_dead_server_is_retried():
    with SmtpServer("plain", refuse=("@gone.test",)) as smtp:
        channel = SmtpChannel(SmtpConfig(host="127.0.0.1", port=smtp.port, security="none"))
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, "nobody@gone.test")
        assert err.value.permanent and "refused" in str(err.value)
    dead = SmtpChannel(SmtpConfig(host="127.0.0.1", port=free_port(), security="none", timeout=2))
    with pytest.raises(DeliveryError) as err:
        dead.send(MSG, "gv-tin@school.test")
    assert not err.value.permanent and "refused" in str(err.value).lower()


def test_telegram_send_message_and_its_errors():
    with FakeTelegram() as tg:
        channel = TelegramChannel(TelegramConfig(bot_token=tg.token, api_base=tg.base))
        channel.send(MSG, "4242")
        [sent] = tg.wait_sent(1)
        assert sent["chat_id"] == "4242" and sent["text"].startswith(MSG.subject)
        tg.fail_with = 500
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, "4242")
        assert not err.value.permanent and "500" in str(err.value)
        tg.fail_with = 400
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, "4242")
        assert err.value.permanent and "chat not found" in str(err.value)
        wrong_token = TelegramChannel(TelegramConfig(bot_token="1:wrong", api_base=tg.base))
        with pytest.raises(DeliveryError) as err:
            wrong_token.send(MSG, "4242")
        assert "401" in str(err.value) and "wrong" not in str(err.value)  # no token in logs


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


def test_mqtt_alert_topic_is_readable_with_the_collector_account(mosquitto, subscriber):
    sub = subscriber(topic="schoolnet/v1/_alerts/#")  # logged in as the collector account
    # Published with the collector's own account, as in production (its ACL allows _alerts).
    channel = MqttAlertChannel(
        AlertTopicConfig(enabled=True),
        MqttConfig(
            host="127.0.0.1",
            port=mosquitto.port,
            username="collector",
            password="collector-secret",
            client_id="notify-test",
        ),
    )
    try:
        channel.send(MSG, channel.topic("lc-test-01"))
    finally:
        channel.close()
    msg = sub.wait_for("schoolnet/v1/_alerts/lc-test-01")
    assert json.loads(msg.payload)["subject"] == MSG.subject


def test_mqtt_alert_topic_refused_by_the_acl_is_not_taken_for_delivered(mosquitto):
    # An account the ACL does not let write the alert topic (a lab PC's).
    channel = MqttAlertChannel(
        AlertTopicConfig(enabled=True),
        MqttConfig(
            host="127.0.0.1",
            port=mosquitto.port,
            username="lc-test-01/pc-01",
            password="pc-secret-01",
            client_id="notify-acl-test",
        ),
    )
    try:
        with pytest.raises(DeliveryError) as err:
            channel.send(MSG, channel.topic("lc-test-01"))
    finally:
        channel.close()
    assert err.value.permanent
    assert "Not authorized" in str(err.value) and "topic write schoolnet/v1/_alerts/#" in str(
        err.value
    )


def test_mqtt_alert_channel_reports_a_refused_login(mosquitto):
    channel = MqttAlertChannel(
        AlertTopicConfig(enabled=True, username="nobody", password="x"),
        MqttConfig(host="127.0.0.1", port=mosquitto.port),
        timeout=2,
    )
    with pytest.raises(DeliveryError):
        channel.send(MSG, channel.topic("lc-test-01"))
    channel.close()
