"""``schoolnet-agent`` as installed: subprocesses of the console script, a real broker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schoolnet_agent.docs import fields_markdown
from schoolnet_agent.protocol import decode, validate
from tests.support.mqtt import Subscriber, clear_retained

AGENT = str(Path(sys.executable).with_name("schoolnet-agent"))
TOPIC = "schoolnet/v1/lc-test-01/pc-02/"
KEEPALIVE = 2


def agent(*args, env=None, timeout=30):
    return subprocess.run(
        [AGENT, *args], capture_output=True, text=True, timeout=timeout, env=clean_env(env)
    )


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCHOOLNET_AGENT_")}
    return {**env, **(extra or {})}


def write_config(tmp_path, port, **extra):
    text = (
        '[device]\nschool = "lc-test-01"\nid = "pc-02"\ninterval_seconds = 1\n'
        f'[mqtt]\nport = {port}\npassword = "pc-secret-02"\nkeepalive = {KEEPALIVE}\n'
        "reconnect_min_delay = 0.2\nreconnect_max_delay = 1\n"
        f'[probes]\nenabled = ["mem", "system"]\n[state]\ndirectory = "{tmp_path / "state"}"\n'
    )
    path = tmp_path / "agent.toml"
    path.write_text(text + "".join(f"{k} = {v}\n" for k, v in extra.items()))
    return str(path)


def test_once_print_needs_no_config_and_no_broker():
    done = agent("once", "--print")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert validate(report) and report["school"] == "local" and report["seq"] == 0
    assert {"cpu", "mem", "system"} <= {m["name"] for m in report["metrics"]}


def test_once_print_follows_the_config(tmp_path):
    done = agent("once", "--print", "--config", write_config(tmp_path, 1883))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["device"], [m["name"] for m in report["metrics"]]) == (
        "pc-02",
        ["mem", "system"],
    )
    assert not (tmp_path / "state").exists(), "printing writes no state"


def test_probes_lists_the_documented_fields():
    done = agent("probes")
    assert done.returncode == 0 and done.stdout == fields_markdown()


@pytest.mark.parametrize(
    "args,message",
    [
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["run"], "the following arguments are required: --config"),
        (["once"], "the following arguments are required: --print"),
        ([], "the following arguments are required: COMMAND"),
        (["--log-level", "loud", "probes"], "invalid choice: 'loud'"),
    ],
)
def test_bad_arguments_exit_2_with_argparse_message(args, message):
    done = agent(*args)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_bad_config_exits_2_with_one_line(tmp_path):
    path = write_config(tmp_path, 1883)
    done = agent("run", "--config", path, env={"SCHOOLNET_AGENT_MQTT_PORT": "abc"})
    assert done.returncode == 2
    assert done.stderr == (
        "config error: SCHOOLNET_AGENT_MQTT_PORT (mqtt.port): expected an "
        'integer 1-65535, got "abc"\n'
    )


def test_unusable_state_directory_exits_1(tmp_path):
    (tmp_path / "state").write_text("a file where the directory should be")
    done = agent("run", "--config", write_config(tmp_path, 1883))
    assert done.returncode == 1 and "cannot create state directory" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture()
def running_agent(mosquitto, tmp_path):
    """Start ``schoolnet-agent run``; yields a function that (re)starts it and the subscriber."""
    sub = Subscriber(mosquitto.port, topic=TOPIC + "+")
    procs = []

    def start():
        proc = subprocess.Popen(
            [AGENT, "run", "--config", write_config(tmp_path, mosquitto.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        procs.append(proc)
        sub.wait_for(TOPIC + "availability", b"online", timeout=10)
        return proc

    yield start, sub
    for proc in procs:
        proc.kill()
        proc.wait()
    sub.close()
    clear_retained(mosquitto.port, TOPIC + "availability")


def test_run_publishes_and_stops_cleanly_on_sigterm(running_agent):
    start, sub = running_agent
    proc = start()
    first = decode(sub.wait_for(TOPIC + "telemetry").payload)
    second = decode(sub.wait_for(TOPIC + "telemetry").payload)
    assert second["seq"] > first["seq"] and 0.5 < (second["ts"] - first["ts"]) / 1000 < 1.5
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    sub.wait_for(TOPIC + "availability", b"offline")
    assert "stopped after" in proc.stderr.read()


def test_killed_agent_goes_offline_and_its_successor_numbers_higher(running_agent):
    start, sub = running_agent
    proc = start()
    before = decode(sub.wait_for(TOPIC + "telemetry").payload)["seq"]
    proc.kill()
    killed = time.monotonic()
    sub.wait_for(TOPIC + "availability", b"offline", timeout=3 * KEEPALIVE)
    assert time.monotonic() - killed <= 1.5 * KEEPALIVE
    proc.wait()
    start()
    # The successor may first resend, from its spool, what its predecessor had not seen
    # acknowledged (marked backfill); its own first live report must number higher.
    while (after := decode(sub.wait_for(TOPIC + "telemetry").payload)).get("backfill"):
        pass
    assert after["seq"] > before
