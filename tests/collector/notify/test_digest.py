"""The Sở's daily digest, written at send time: summaries and states in the contact's language,
and "1 new incident" said as one (ngettext), not "1 new incidents"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from schoolnet_collector.alerting import incidents
from schoolnet_collector.i18n import Pct, deferred
from schoolnet_collector.notify import digest
from schoolnet_collector.notify.outbox import Notification
from schoolnet_collector.notify.render import Renderer
from tests.support.notify import VN, registry

UNTIL = datetime(2026, 11, 18, 7, 0, tzinfo=VN)


def _open(sessions, at, rule="disk_full", device="pc-07"):
    with sessions() as s:
        return incidents.open_incident(
            s,
            key=f"{rule}:lc-test-01/{device}",
            rule=rule,
            school_id="lc-test-01",
            device_id=device,
            severity="warning",
            summary=deferred(
                "Disk of %(device)s nearly full: %(value)s", device=device, value=Pct(0.91)
            ),
            details={},
            now=at,
            enqueue=lambda *a: None,
        ).id


def _digest(sessions, lang):
    row = Notification(
        payload={"until": UNTIL.isoformat()}, language=lang, dedup_key=f"digest:{lang}"
    )
    with sessions() as s:
        return digest.message(s, row, Renderer())


def test_one_new_incident_is_one_and_reads_in_the_contacts_language(tmp_path):
    _, sessions = registry(f"sqlite:///{tmp_path}/r.sqlite3", tmp_path)
    a = _open(sessions, (UNTIL - timedelta(hours=3)).astimezone(timezone.utc))
    en, vi = _digest(sessions, "en"), _digest(sessions, "vi")
    assert ": 1 new incident, 0 resolved." in en.body
    assert "Disk of pc-07 nearly full: 91% (open, since" in en.body
    assert "Ổ đĩa pc-07 sắp đầy: 91% (đang mở, từ" in vi.body
    assert "1 sự cố mới" in vi.body
    with sessions() as s:
        incidents.acknowledge(
            s,
            a,
            actor="lan",
            note=None,
            now=UNTIL.astimezone(timezone.utc),
            enqueue=lambda *x: None,
        )
    _open(sessions, (UNTIL - timedelta(hours=2)).astimezone(timezone.utc), device="pc-08")
    en = _digest(sessions, "en")
    assert ": 2 new incidents, 0 resolved." in en.body and "(acknowledged, since" in en.body
    assert "(đã tiếp nhận, từ" in _digest(sessions, "vi").body
