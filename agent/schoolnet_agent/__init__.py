"""schoolnet agent: reports a device's health over MQTT to the schoolnet collector."""

__version__ = "0.1.0"
