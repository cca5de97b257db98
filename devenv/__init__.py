"""Real services (Mosquitto, InfluxDB, VictoriaMetrics) started on free loopback ports.

Shared by the test fixtures, the benchmarks and ``make demo`` so that all three run the
same binaries the same way. Nothing here is shipped to schools.
"""
