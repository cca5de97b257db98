"""Probes: one module each, registered here in one line each.

A probe is imported only when enabled, by the path on its line, so a probe whose library is
missing or broken (or a gateway probe that needs scapy) costs nothing where it is not used,
and its failure to load is logged and skipped (``registry.py``). What a probe measures, the
settings it takes, which of its fields a metered link may leave out and whether it spends data
itself are in its module; the line says only what is needed before importing it. The config
loader, the field reference (``schoolnet-agent probes``, ``probes/README.md``), the lean
reports and the configuration's checks all read this list; nothing else names the probes.
"""

from schoolnet_agent.probes.registry import Registration, Registry

PROBES = Registry(
    (
        Registration("cpu", ".cpu:CpuProbe"),
        Registration("mem", ".mem:MemProbe"),
        Registration("disk", ".disk:DiskProbe"),
        Registration("diskio", ".diskio:DiskIoProbe"),
        Registration("net", ".net:NetProbe"),
        Registration("system", ".system:SystemProbe"),
        Registration("sensors", ".sensors:SensorsProbe"),
        Registration("board_usb", ".board_usb:UsbBoardProbe"),
        Registration("uplink", ".uplink:UplinkProbe", gateway=True),
        Registration("netquality", ".netquality:NetQualityProbe", gateway=True),
        Registration("lan", ".lan:LanProbe", gateway=True),
        Registration("projector", ".projector:ProjectorProbe", section="projectors"),
        Registration("board", ".board:BoardProbe", section="boards"),
    )
)
