"""A small two-tier province for the units' tests: Lào Cai (merged) with the old Yên Bái as a
former province, two communes and the former districts they replaced."""

from __future__ import annotations

UNITS_CSV = (
    "code,name,type,parent,valid_from,valid_to\n"
    "lao-cai,Tỉnh Lào Cai,tinh,,2025-07-01,\n"
    "yen-bai-cu,Tỉnh Yên Bái (cũ),tinh_cu,lao-cai,,2025-06-30\n"
    "lao-cai-cu,Tỉnh Lào Cai (cũ),tinh_cu,lao-cai,,2025-06-30\n"
    "bat-xat,Huyện Bát Xát,huyen,lao-cai-cu,,2025-06-30\n"
    "08044,Xã Bát Xát,xa,lao-cai,2025-07-01,\n"
    "08050,Phường Sa Pa,phuong,lao-cai,2025-07-01,\n"
)
UNITS_CSV_VI = (
    "\ufeffSTT,Mã,Tên,Loại,Cấp trên,Hiệu lực từ\n"
    "1,lao-cai,Tỉnh Lào Cai,Tỉnh,,01/07/2025\n"
    "2,08044,Xã Bát Xát,Xã,lao-cai,01/07/2025\n"
    "3,08050,Phường Sa Pa,Phường,lao-cai,01/07/2025\n"
)


def config(tmp_path):
    """A collector.toml on a fresh SQLite registry in ``tmp_path``."""
    conf = tmp_path / "collector.toml"
    conf.write_text(f'[registry]\nurl = "sqlite:///{tmp_path}/r.sqlite3"\n', encoding="utf-8")
    return conf


COMMUNE_OF = {"lc-test-01": "08044", "lc-test-02": "08050"}
"""The communes of the two schools ``tests.support.collector.write_schools`` writes (both run
by their commune: a THCS and a primary school)."""


def assign_communes(sessions) -> None:
    """Put the two test schools in their communes (adding the units), as an import of the
    unit file and a school file with a ``commune`` column would. ``sessions``: a session
    factory (``runtime.sessions``, a sessionmaker)."""
    from datetime import datetime, timezone

    from schoolnet_collector.registry.models import School, Unit

    now = datetime.now(timezone.utc)
    with sessions() as s:
        for code, name, kind, parent in (
            ("lao-cai", "Tỉnh Lào Cai", "tinh", None),
            ("08044", "Xã Bát Xát", "xa", "lao-cai"),
            ("08050", "Phường Sa Pa", "phuong", "lao-cai"),
        ):
            if s.get(Unit, code) is None:
                s.add(Unit(code=code, name=name, type=kind, parent=parent, updated_at=now))
        s.flush()
        for school, commune in COMMUNE_OF.items():
            row = s.get(School, school)
            if row is not None:
                row.commune = commune
        s.commit()
