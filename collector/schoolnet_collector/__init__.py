"""schoolnet collector: MQTT ingest, InfluxDB storage, device registry and HTTP API."""

__version__ = "0.1.0"
