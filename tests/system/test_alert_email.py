"""A school goes dark and its IT teacher gets one email, in Vietnamese, naming the school.

The whole pipeline, real parts only: devices on Mosquitto with a Last Will, the collector's
ingest, the alert evaluator, the notification outbox and worker, and an SMTP server (aiosmtpd)
that receives the mail. The devices' connections die without a goodbye, so the broker
publishes their Wills; when they come back, one resolution email follows.
"""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from schoolnet_agent.protocol import Sample, build_report, encode
from tests.support.collector import collector_settings, running_collector, wait_until
from tests.support.notify import add_contact
from tests.support.smtp import SmtpServer

DELAY = 2.0  # notify.delay_seconds: a page waits this long after the incident opens


def quick_rules(path: Path) -> Path:
    """The packaged rules with short debounces, and lab PCs expected always (so a PC alone
    would raise device_offline: the test sees that the school's incident suppresses it)."""
    rules = yaml.safe_load(
        resources.files("schoolnet_collector.rules")
        .joinpath("default.yaml")
        .read_text(encoding="utf-8")
    )
    rules["evaluate_every_seconds"] = 0.5
    rules["presence"]["lab_pc"] = "always"
    rules["rules"]["school_offline"].update(for_minutes=0.05, clear_minutes=0)
    # The same short wait as the school's: the devices' Wills arrive milliseconds apart, and a
    # device rule with no wait at all could open on the first one alone (the packaged rules
    # wait 5 minutes for both, so that window never opens in production).
    rules["rules"]["device_offline"].update(for_minutes=0.05, clear_minutes=0)
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return path


class Device:
    """A device as the agent is on the wire: retained ``online``, a ``offline`` Will, reports."""

    def __init__(self, port: int, account: tuple[str, str], device: str, kind: str):
        self.topic = f"schoolnet/v1/lc-test-01/{device}"
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"e2e-{device}-{time.monotonic_ns()}"
        )
        self.client.username_pw_set(*account)
        self.client.will_set(f"{self.topic}/availability", b"offline", qos=1, retain=True)
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        self.client.publish(f"{self.topic}/availability", b"online", qos=1, retain=True)
        report = build_report(
            "lc-test-01",
            device,
            kind,
            int(time.time()),
            [Sample("cpu", {"usage_percent": 3.0})],
            interval=30,
        )
        self.client.publish(f"{self.topic}/telemetry", encode(report), qos=1).wait_for_publish(5)

    def die(self) -> None:
        """Power cut: the socket closes with no DISCONNECT, so the broker sends the Will."""
        sock = self.client.socket()
        self.client.loop_stop()
        sock.close()


def alert_topic_listener(port: int) -> list:
    seen: list = []
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"e2e-alerts-{time.monotonic_ns()}")
    c.username_pw_set("collector", "collector-secret")  # dashboards read with the collector ACL
    c.on_message = lambda cl, u, m: seen.append((m.topic, json.loads(m.payload)))
    c.on_connect = lambda cl, *a: cl.subscribe("schoolnet/v1/_alerts/#", qos=1)
    c.connect("127.0.0.1", port)
    c.loop_start()
    return seen


@pytest.mark.slow
def test_dark_school_one_vietnamese_email_then_one_resolution(
    tmp_path, fresh_mosquitto, influxdb, influx_db_name
):
    rules = quick_rules(tmp_path / "rules.yaml")
    with SmtpServer() as smtp:
        settings = collector_settings(
            tmp_path,
            fresh_mosquitto,
            influxdb,
            influx_db_name,
            alerting={"rules_file": str(rules)},
            notify={
                "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
                "delay_seconds": DELAY,
                "poll_seconds": 0.2,
                # The packaged calendar makes today a holiday or not: the hold is tested
                # with an injected clock in test_notify_delivery.py, not here.
                "respect_school_time": False,
                "mqtt": {"enabled": True},
            },
        )
        with running_collector(settings) as rt:
            add_contact(rt.sessions, school_id="lc-test-01", email="lan@thcs1.test")
            add_contact(
                rt.sessions,
                name="Other school's teacher",
                school_id="lc-test-02",
                email="gv@th2.test",
            )
            alerts = alert_topic_listener(fresh_mosquitto.port)
            rt.start_alerts()
            rt.start_notify()
            devices = [
                Device(fresh_mosquitto.port, ("lc-test-01", "gw-secret-01"), "gw", "gateway"),
                Device(
                    fresh_mosquitto.port, ("lc-test-01/pc-01", "pc-secret-01"), "pc-01", "lab_pc"
                ),
            ]
            assert wait_until(lambda: rt.alerts.last is not None, 10), "no evaluation pass"
            time.sleep(1.0)  # a quiet moment: all up, nothing may be sent
            assert smtp.messages == []

            cut = time.monotonic()
            for d in devices:
                d.die()
            mails = smtp.wait_for(1, timeout=30)
            assert len(mails) == 1, [m["Subject"] for m in mails]
            mail = mails[0]
            took = time.monotonic() - cut
            assert DELAY <= took <= DELAY + 15, took
            assert mail["To"] == "lan@thcs1.test"
            assert mail["Subject"].startswith("[Trường THCS Thử Nghiệm 1] Trường mất kết nối từ ")
            body = mail.get_content()
            assert "Kiểm tra trước: nguồn điện và modem/router của trường" in body
            assert "Bát Xát" in body
            # Its devices raise nothing of their own, now or on the next passes.
            assert len(smtp.wait_for(2, timeout=4)) == 1

            devices = [
                Device(fresh_mosquitto.port, ("lc-test-01", "gw-secret-01"), "gw", "gateway"),
                Device(
                    fresh_mosquitto.port, ("lc-test-01/pc-01", "pc-secret-01"), "pc-01", "lab_pc"
                ),
            ]
            mails = smtp.wait_for(2, timeout=30)
            assert len(mails) == 2
            assert mails[1]["To"] == "lan@thcs1.test"
            assert mails[1]["Subject"] == "[Trường THCS Thử Nghiệm 1] Trường đã kết nối lại"
            assert len(smtp.wait_for(3, timeout=3)) == 2
            for d in devices:
                d.client.disconnect()
                d.client.loop_stop()
        transitions = [(t, e["transition"]) for t, e in alerts if e.get("rule") == "school_offline"]
        assert transitions == [
            ("schoolnet/v1/_alerts/lc-test-01", "opened"),
            ("schoolnet/v1/_alerts/lc-test-01", "resolved"),
        ]


@pytest.mark.slow
def test_two_collectors_on_one_postgresql_registry_send_one_email(
    tmp_path, fresh_mosquitto, influxdb, influx_db_name, postgresql_url
):
    rules = quick_rules(tmp_path / "rules.yaml")
    group = f"g-mail-{time.monotonic_ns()}"[:60]
    with SmtpServer() as smtp:

        def settings(name):
            (tmp_path / name).mkdir()
            return collector_settings(
                tmp_path / name,
                fresh_mosquitto,
                influxdb,
                influx_db_name,
                mqtt={"client_id": f"mail-{name}-{time.monotonic_ns()}"[:60], "share_group": group},
                registry={"url": postgresql_url},
                alerting={"rules_file": str(rules)},
                notify={
                    "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
                    "poll_seconds": 0.2,
                    "respect_school_time": False,
                },
            )

        with running_collector(settings("a")) as a, running_collector(settings("b")) as b:
            add_contact(a.sessions, school_id="lc-test-01", email="lan@thcs1.test")
            for rt in (a, b):
                rt.start_alerts()
                rt.start_notify()
            devices = [
                Device(fresh_mosquitto.port, ("lc-test-01", "gw-secret-01"), "gw", "gateway"),
                Device(
                    fresh_mosquitto.port, ("lc-test-01/pc-01", "pc-secret-01"), "pc-01", "lab_pc"
                ),
            ]
            assert wait_until(lambda: a.alerts.last is not None and b.alerts.last is not None, 10)
            for d in devices:
                d.die()
            assert len(smtp.wait_for(1, timeout=30)) == 1
            assert len(smtp.wait_for(2, timeout=5)) == 1  # the other collector sent nothing
            devices = [
                Device(fresh_mosquitto.port, ("lc-test-01", "gw-secret-01"), "gw", "gateway"),
                Device(
                    fresh_mosquitto.port, ("lc-test-01/pc-01", "pc-secret-01"), "pc-01", "lab_pc"
                ),
            ]
            mails = smtp.wait_for(2, timeout=30)
            assert len(smtp.wait_for(3, timeout=5)) == 2
            for d in devices:
                d.client.disconnect()
                d.client.loop_stop()
    assert [m["Subject"].split("] ")[1][:22] for m in mails] == [
        "Trường mất kết nối từ ",
        "Trường đã kết nối lại",
    ]
