"""The MQTT alert topic on the test broker: readable with the collector's account; a publish the
ACL drops is not taken for delivered; a refused login is reported."""

from __future__ import annotations

import json

import pytest

from schoolnet_collector.channels import DeliveryError
from schoolnet_collector.channels.mqtt import AlertTopicConfig, MqttAlertChannel
from schoolnet_collector.core.config import MqttConfig
from tests.support.notify import MSG

pytestmark = pytest.mark.services


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
