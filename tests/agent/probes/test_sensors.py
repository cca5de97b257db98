"""The sensors probe fed a fake psutil: temperatures and battery where present, unknown
thresholds left out, nothing (and no error) where there are none."""

from __future__ import annotations

from collections import namedtuple

from schoolnet_agent.probes.sensors import SensorsProbe
from tests.support.fake_psutil import fake

Temp = namedtuple("Temp", "label current high critical")


Battery = namedtuple("Battery", "percent secsleft power_plugged")


def test_sensors_absent_means_no_sample_not_an_error():
    assert SensorsProbe(fake()).collect() == []
    assert (
        SensorsProbe(fake(sensors_temperatures=dict, sensors_battery=lambda: None)).collect() == []
    )


def test_sensors_report_temperatures_and_battery_with_unknowns_left_out():
    temps = {"coretemp": [Temp("Package id 0", 71.0, 84.0, 100.0), Temp("", 55.5, None, 0.0)]}
    probe = SensorsProbe(
        fake(sensors_temperatures=lambda: temps, sensors_battery=lambda: Battery(42.0, -2, True))
    )  # -2: unlimited
    samples = probe.collect()
    assert [(s.instance, s.fields) for s in samples] == [
        (
            "coretemp/Package id 0",
            {"temperature_celsius": 71.0, "high_celsius": 84.0, "critical_celsius": 100.0},
        ),
        ("coretemp/1", {"temperature_celsius": 55.5}),
        ("battery", {"battery_percent": 42.0, "power_plugged": True}),
    ]
    discharging = SensorsProbe(fake(sensors_battery=lambda: Battery(10.0, 1800, False)))
    assert discharging.collect()[0].fields["battery_left_seconds"] == 1800
