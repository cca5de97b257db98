"""The simulated fleet: schools and the devices in them, as plain data.

Kept apart from generation and publishing so that the fleet can be exported (the registry's
school file), summed up in tests and published without either knowing the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIBRE, CELLULAR, NO_UPLINK = "fibre", "cellular", "none"
TWO_TIER_COLUMNS = ("commune", "commune_name", "legacy_province")


@dataclass(slots=True)
class Device:
    id: str
    kind: str  # one of the schema's kinds: gateway, lab_pc, admin_pc, ...
    year: int  # purchase or supply year
    broken: bool = False  # broken devices never report
    room: int | None = None  # lab room number for lab PCs

    @property
    def old(self) -> bool:
        """Supplied before 2010: the province's replacement backlog."""
        return self.year < 2010


@dataclass(slots=True)
class School:
    id: str
    name: str
    province: str
    district: str
    district_name: str
    level: str
    level_name: str
    remote: bool
    size: float  # relative size, drives how much equipment it has
    uplink: str = FIBRE  # fibre | cellular | none
    isps: tuple[str, ...] = ()  # active ISP first; a second one is the failover line
    lab_rooms: list[int] = field(default_factory=list)  # PCs in each lab room
    lab_years: list[int] = field(default_factory=list)  # supply year of each lab room
    equipment: dict[str, int] = field(default_factory=dict)  # admin_pcs, printers, ...
    devices: list[Device] = field(default_factory=list)
    students: int = 0  # enrolment, for students per working PC
    commune: str = ""  # today's commune (unit code); "" in a format 1 profile
    commune_name: str = ""
    legacy_province: str = ""  # the old province (tỉnh cũ) whose plan counted it

    @property
    def online(self) -> bool:
        return self.uplink != NO_UPLINK

    @property
    def dual_fixed(self) -> bool:
        return self.uplink == FIBRE and len(self.isps) == 2

    def registry_row(self, two_tier: bool = False) -> dict[str, object]:
        """The registry's school-file columns (the first five are the ones it requires);
        ``two_tier`` adds the commune and the old province (``TWO_TIER_COLUMNS``)."""
        row: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "province": self.province,
            "district": self.district,
            "level": self.level,
            "district_name": self.district_name,
            "level_name": self.level_name,
            "uplink": self.uplink,
            "isp": "+".join(self.isps),
            "lab_rooms": len(self.lab_rooms),
            "students": self.students,
        }
        if two_tier:
            row.update(
                commune=self.commune,
                commune_name=self.commune_name,
                legacy_province=self.legacy_province,
            )
        return row


def fleet_totals(schools: list[School]) -> dict[str, dict[str, int]]:
    """Per-level sums in the profile's terms, plus connectivity counts under ``"province"``."""
    out: dict[str, dict[str, int]] = {}
    for s in schools:
        t = out.setdefault(
            s.level,
            dict.fromkeys(
                (
                    "schools",
                    "schools_with_lab",
                    "lab_rooms",
                    "lab_pcs",
                    "lab_rooms_before_2010",
                    "admin_pcs",
                    "printers",
                    "projectors",
                    "boards",
                    "cameras",
                ),
                0,
            ),
        )
        t["schools"] += 1
        t["schools_with_lab"] += bool(s.lab_rooms)
        t["lab_rooms"] += len(s.lab_rooms)
        t["lab_pcs"] += sum(s.lab_rooms)
        t["lab_rooms_before_2010"] += sum(1 for y in s.lab_years if y < 2010)
        for key, n in s.equipment.items():
            t[key] += n
    prov = {
        "with_internet": sum(s.online for s in schools),
        "cellular": sum(s.uplink == CELLULAR for s in schools),
        "without_internet": sum(not s.online for s in schools),
        "dual_fixed": sum(s.dual_fixed for s in schools),
    }
    for s in schools:
        if s.uplink == CELLULAR:
            prov[f"cellular_{s.isps[0]}"] = prov.get(f"cellular_{s.isps[0]}", 0) + 1
        elif s.uplink == FIBRE and len(s.isps) == 1:
            prov[f"single_{s.isps[0]}"] = prov.get(f"single_{s.isps[0]}", 0) + 1
    out["province"] = prov
    return out
