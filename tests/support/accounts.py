"""The MQTT accounts of the test broker.

Every device account the tests use is declared here so that Mosquitto's password file and ACL
are the production ones: a device can write only under its own topics.
"""

from __future__ import annotations

from devenv.services import MqttAccount

COLLECTOR = MqttAccount("collector", "collector-secret")
SIMULATOR = MqttAccount("simulator", "simulator-secret")
# A school gateway (username = school) and two PCs (username = school/device) in two schools.
DEVICE_ACCOUNTS = [
    MqttAccount("lc-test-01", "gw-secret-01"),
    MqttAccount("lc-test-01/pc-01", "pc-secret-01"),
    MqttAccount("lc-test-01/pc-02", "pc-secret-02"),
    MqttAccount("lc-test-02", "gw-secret-02"),
    MqttAccount("lc-test-02/pc-01", "pc-secret-21"),
]
