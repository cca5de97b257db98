"""disk_full over an in-memory snapshot: the fullest volume, hysteresis, offline devices not
judged, and its summary in both languages."""

from __future__ import annotations

from datetime import timedelta

from schoolnet_collector import i18n
from tests.support.rules import SCHOOL, device, find, reading, snapshot

KEY = f"disk_full:{SCHOOL}/pc-01"


def _disks(*used: float, silent=timedelta(0)):
    return snapshot(
        [device("pc-01", silent=silent)],
        [reading("pc-01", f"disk.used_percent:/v{i}", u) for i, u in enumerate(used)],
    )


def test_the_fullest_volume_opens_and_its_summary_reads_in_both_languages():
    cond = find(_disks(40.0, 93.4)).conditions[KEY]
    assert cond.details["value"] == 93.4 and cond.device_id == "pc-01"
    assert cond.summary.render("vi") == "Ổ đĩa pc-01 sắp đầy: 93%"
    assert cond.summary.render("en") == "Disk of pc-01 nearly full: 93%"
    assert i18n.render_stored(cond.summary.to_json(), "en") == "Disk of pc-01 nearly full: 93%"


def test_below_the_threshold_an_active_incident_holds_until_the_clear_level():
    assert KEY not in find(_disks(88.0)).conditions
    assert KEY in find(_disks(88.0), active={KEY}).conditions
    assert KEY not in find(_disks(84.0), active={KEY}).conditions


def test_an_offline_device_is_not_judged():
    found = find(_disks(99.0, silent=timedelta(hours=1)))
    assert KEY not in found.conditions and not found.judged(KEY)
