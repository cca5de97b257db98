"""The devices of one school, from its equipment counts: ids, kinds, years, broken or not.

Device ids are short and stable (``gw``, ``lab2-pc07``, ``admin-pc01``, ``proj-03``) so that
the same seed always yields the same topics. A school with internet gets one ``gateway``, the
box that reports the uplink and probes projectors and boards. A share of devices is broken
and never reports, higher for pre-2010 lab PCs: the province notes many old or broken PCs.
"""

from __future__ import annotations

import random

from schoolnet_collector.simulator.model import Device, School
from schoolnet_collector.simulator.profile import Profile

# (equipment key, device kind, id stem, key of the purchase-year range)
EQUIPMENT_DEVICES = (
    ("admin_pcs", "admin_pc", "admin-pc", "admin_pc"),
    ("projectors", "projector", "proj-", "projector"),
    ("boards", "board", "board-", "board"),
    ("printers", "printer", "printer-", "printer"),
    ("cameras", "camera", "cam-", "camera"),
)
GATEWAY_ID = "gw"


def build_devices(profile: Profile, school: School, rng: random.Random) -> None:
    behaviour = profile.behaviour
    devices: list[Device] = []
    if school.online:
        devices.append(Device(GATEWAY_ID, "gateway", rng.randint(2015, 2017)))
    for room, (pcs, year) in enumerate(
        zip(school.lab_rooms, school.lab_years, strict=False), start=1
    ):
        share = behaviour.broken_share_old_lab_pc if year < 2010 else behaviour.broken_share_other
        for n in range(1, pcs + 1):
            devices.append(
                Device(
                    f"lab{room}-pc{n:02d}", "lab_pc", year, broken=rng.random() < share, room=room
                )
            )
    for key, kind, stem, years in EQUIPMENT_DEVICES:
        for n in range(1, school.equipment.get(key, 0) + 1):
            devices.append(
                Device(
                    f"{stem}{n:02d}",
                    kind,
                    rng.randint(*profile.years[years]),
                    broken=rng.random() < behaviour.broken_share_other,
                )
            )
    school.devices = devices


def count_devices(schools: list[School]) -> dict[str, int]:
    """Devices by kind, with ``reporting`` = devices that will publish (online, not broken)."""
    out: dict[str, int] = {"reporting": 0}
    for school in schools:
        for device in school.devices:
            out[device.kind] = out.get(device.kind, 0) + 1
            out["reporting"] += school.online and not device.broken
    return out
