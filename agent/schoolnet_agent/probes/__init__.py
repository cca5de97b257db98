"""Probes: one module each, registered here in one line each.

A probe is imported only when enabled, by its dotted path, so a probe whose library is missing
or broken (or a gateway probe that needs scapy) costs nothing where it is not used, and its
failure to load is logged and skipped (see ``loader.py``). Fields: ``probes/README.md``.
"""

BUILTIN_PROBES: dict[str, str] = {
    "cpu": "schoolnet_agent.probes.cpu:CpuProbe",
    "mem": "schoolnet_agent.probes.mem:MemProbe",
    "disk": "schoolnet_agent.probes.disk:DiskProbe",
    "diskio": "schoolnet_agent.probes.diskio:DiskIoProbe",
    "net": "schoolnet_agent.probes.net:NetProbe",
    "system": "schoolnet_agent.probes.system:SystemProbe",
    "sensors": "schoolnet_agent.probes.sensors:SensorsProbe",
    "board_usb": "schoolnet_agent.probes.board:UsbBoardProbe",
    "uplink": "schoolnet_agent.probes.uplink:UplinkProbe",
    "netquality": "schoolnet_agent.probes.netquality:NetQualityProbe",
    "lan": "schoolnet_agent.probes.lan:LanProbe",
}

# Enabled by default only where device.kind is "gateway" (they read the [gateway] section).
GATEWAY_PROBES = ("uplink", "netquality", "lan")

# Probes of the other devices a school's gateway reports (``[[projectors]]``, ``[[boards]]``
# in its configuration): one instance per configured device, never named in ``probes.enabled``.
SUBDEVICE_PROBES: dict[str, str] = {
    "projector": "schoolnet_agent.probes.projector:ProjectorProbe",
    "board": "schoolnet_agent.probes.board:BoardProbe",
}
