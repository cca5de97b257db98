"""What several probes share and no probe owns: PJLink, ICMP, raw-socket access, the modem,
the uplink's classification. Helpers import no probe, so probes stay independent of each other
(an import-linter contract in pyproject.toml says so).
"""
