"""Message templates: every packaged one renders short enough for a phone, in both languages;
lookup falls back to the defaults; a province's own directory wins; a broken template keeps
the notification and says why."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from schoolnet_collector.core.config import load_settings
from schoolnet_collector.notify.render import SUBJECT_MAX, TEMPLATES, Renderer
from schoolnet_collector.notify.worker import NotifyWorker
from schoolnet_collector.registry.alerting_models import Incident
from tests.support.notify import VN, Clock, add_contact, open_incident, outbox_rows, registry

NOW = datetime(2026, 11, 17, 3, 0, tzinfo=timezone.utc)  # 10:00 in Lào Cai
SCHOOL = SimpleNamespace(
    id="lc-bxa-thcs-012",
    name="Trường Phổ thông Dân tộc Bán trú THCS Bản Vược",
    district_name="Bát Xát",
)


def incident(rule="school_offline", **kw):
    """A transient incident (no database) with a stored summary message, as rules store it."""
    fields = {
        "id": 12,
        "rule": rule,
        "key": f"{rule}:lc-bxa-thcs-012",
        "school_id": SCHOOL.id,
        "device_id": None,
        "severity": "critical",
        "state": "open",
        "summary": "Sự cố",
        "summary_id": "Disk of %(device)s nearly full: %(value)s",
        "summary_args": {"device": "pc-07", "value": {"pct": 0.93, "digits": 0}},
        "opened_at": NOW - timedelta(hours=26),
        "resolved_at": None,
        "acknowledged_by": None,
        "details": {"value": 93.0},
    }
    fields.update(kw)
    return Incident(**fields)


RULES = sorted({p.name.split(".")[0] for p in TEMPLATES.glob("*.j2")} - {"digest", "status"})


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("rule", [*RULES, "disk_full"])
@pytest.mark.parametrize(
    "transition", ["opened", "repeat", "escalated", "acknowledged", "resolved"]
)
def test_every_message_fits_a_phone(rule, transition, language):
    msg = Renderer().incident(incident(rule, device_id="pc-07"), SCHOOL, transition, language, NOW)
    assert 0 < len(msg.subject) <= SUBJECT_MAX
    assert "\n" not in msg.subject and msg.body.strip()
    assert len(msg.body) < 600
    assert "#12" in msg.body


def test_vietnamese_dark_school_says_what_to_check_first():
    msg = Renderer().incident(incident(), SCHOOL, "opened", "vi", NOW)
    assert msg.subject.endswith("Trường mất kết nối từ 08:00") and len(msg.subject) <= 80
    assert msg.subject.endswith("…") is False
    assert "Kiểm tra trước: nguồn điện và modem/router của trường" in msg.body
    assert "từ 08:00 16/11/2026" in msg.body  # local time (UTC+7), the day before


def test_long_subject_is_cut_with_an_ellipsis_and_summary_follows_the_language():
    en = Renderer().incident(incident("disk_full"), SCHOOL, "opened", "en", NOW)
    vi = Renderer().incident(incident("disk_full"), SCHOOL, "opened", "vi", NOW)
    assert len(en.subject) == SUBJECT_MAX and en.subject.endswith("…")
    assert "Disk of pc-07 nearly full: 93%" in en.body
    assert "Ổ đĩa pc-07 sắp đầy: 93%" in vi.body


def test_resolution_tells_how_long_it_lasted():
    msg = Renderer().incident(incident(resolved_at=NOW), SCHOOL, "resolved", "vi", NOW)
    assert "mất kết nối 1 ngày 2 giờ" in msg.body


def test_a_province_directory_overrides_one_template_and_keeps_the_rest(tmp_path):
    (tmp_path / "vi").mkdir()
    (tmp_path / "vi" / "school_offline.opened.j2").write_text(
        "{{ school.name }}: mất mạng\n\nGọi anh Tuấn 0912 000 000\n", encoding="utf-8"
    )
    r = Renderer(own_dir=tmp_path)
    assert r.incident(incident(), SCHOOL, "opened", "vi", NOW).body == "Gọi anh Tuấn 0912 000 000\n"
    assert "Đã khắc phục" not in r.incident(incident(), SCHOOL, "resolved", "vi", NOW).subject
    assert "kết nối lại" in r.incident(incident(), SCHOOL, "resolved", "vi", NOW).subject


def test_unknown_language_falls_back_to_vietnamese():
    msg = Renderer().incident(incident(), SCHOOL, "opened", "fr", NOW)
    assert "Trường mất kết nối" in msg.subject


def test_a_broken_template_keeps_the_notification_and_says_why(tmp_path):
    own = tmp_path / "templates"
    (own / "vi").mkdir(parents=True)
    (own / "vi" / "school_offline.opened.j2").write_text(
        "{{ school.name \n\n{% endif %}", encoding="utf-8"
    )
    engine, sessions = registry(f"sqlite:///{tmp_path}/r.sqlite3", tmp_path)
    clock = Clock(datetime(2026, 11, 17, 9, 0, tzinfo=VN))
    worker = NotifyWorker(
        load_settings(
            None,
            notify={
                "templates_dir": str(own),
                "respect_school_time": False,
                "digest_at": None,
                "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
            },
        ),
        sessions,
        clock=clock,
    )
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    open_incident(sessions, clock())
    worker.tick()
    [row] = outbox_rows(sessions)
    assert row.state == "pending" and row.attempts == 1
    assert row.last_error.startswith("render: vi/school_offline.opened.j2:3: "), row.last_error
    engine.dispose()


def test_one_template_speaks_each_contacts_language_with_its_formats():
    resolved = incident(resolved_at=NOW - timedelta(minutes=5), device_id="pc-07")
    vi = Renderer().incident(resolved, SCHOOL, "resolved", "vi", NOW)
    en = Renderer().incident(resolved, SCHOOL, "resolved", "en", NOW)
    assert vi.subject == f"[{SCHOOL.name}] Trường đã kết nối lại"
    assert vi.body == (
        f"{SCHOOL.name} đã kết nối lại lúc 09:55 17/11/2026 (mất kết nối 1 ngày 1 giờ 55 phút).\n"
        "Mã sự cố: #12\n"
    )
    assert en.subject == f"[{SCHOOL.name}] School back online"
    assert en.body == (
        f"{SCHOOL.name} reconnected at 17/11/2026, 09:55 (offline for 1 d 1 h 55 min).\n"
        "Incident #12\n"
    )
    reminder = Renderer().incident(incident("disk_full"), SCHOOL, "repeat", "en", NOW)
    assert reminder.subject.startswith("Reminder: [") and "Severity: critical" in reminder.body
    assert (
        "Mức độ: nghiêm trọng"
        in Renderer().incident(incident("disk_full"), SCHOOL, "repeat", "vi", NOW).body
    )


def test_a_province_template_for_both_languages_uses_the_catalogue(tmp_path):
    (tmp_path / "school_offline.opened.j2").write_text(
        "{% trans school=school.name %}[{{ school }}] School offline since {{ since_short }}"
        "{% endtrans +%}\n\nGọi anh Tuấn 0912 000 000 / Call Tuấn\n"
        "{% trans id=incident.id %}Incident #{{ id }}{% endtrans %}\n",
        encoding="utf-8",
    )
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "school_offline.resolved.j2").write_text("Back\n\nThe school is back.\n")
    r = Renderer(own_dir=tmp_path)
    vi = r.incident(incident(), SCHOOL, "opened", "vi", NOW)
    en = r.incident(incident(), SCHOOL, "opened", "en", NOW)
    assert (vi.subject, vi.body) == (
        f"[{SCHOOL.name}] Trường mất kết nối từ 08:00",
        "Gọi anh Tuấn 0912 000 000 / Call Tuấn\nMã sự cố: #12\n",
    )
    assert (en.subject, en.body) == (
        f"[{SCHOOL.name}] School offline since 08:00",
        "Gọi anh Tuấn 0912 000 000 / Call Tuấn\nIncident #12\n",
    )
    # A file in one language's folder wins for that language only.
    assert r.incident(incident(), SCHOOL, "resolved", "en", NOW).body == "The school is back.\n"
    assert "kết nối lại" in r.incident(incident(), SCHOOL, "resolved", "vi", NOW).subject


def test_a_rule_without_its_own_template_uses_the_default_one_line_per_fact():
    """The default ``opened`` text: a new rule needs no template. Each fact on its own line (a
    block tag ending a line used to swallow its newline and merge two lines)."""
    msg = Renderer().incident(
        incident("spool_dropping", device_id="pc-07"), SCHOOL, "opened", "en", NOW
    )
    lines = msg.body.splitlines()
    assert lines[0] == "Trường Phổ thông Dân tộc Bán trú THCS Bản Vược (Bát Xát)"
    assert lines[1] == "Problem: Disk of pc-07 nearly full: 93% (device pc-07)"
    assert lines[2].startswith("Since: ") and lines[3] == "Severity: critical"
    assert lines[4] == "Incident #12"


@pytest.mark.parametrize(
    "summary_id, args, expected",
    [
        ("Disk of %(device)s nearly full: %(value)s", {}, "Disk of %(device)s nearly full"),
        ("Disk of %(device)s nearly full: %(value)s", ["pc-07"], "Sự cố"),
        ("Disk of %(device)s nearly full: %(value)s", {"value": {"bogus": 1}}, "Sự cố"),
        ("Disk of %(device)s nearly full: %(value)s", {"value": {"pct": "x"}}, "Disk of"),
        ("A message no catalogue has: %(x)s", {"x": "<b>"}, "A message no catalogue has: <b>"),
        ("", None, "Sự cố"),
    ],
)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_stored_summary_that_does_not_fit_still_renders(summary_id, args, expected, language):
    """Args missing or of the wrong shape, an unknown id: a fallback text, never a failure."""
    damaged = incident("disk_full", summary_id=summary_id, summary_args=args)
    msg = Renderer().incident(damaged, SCHOOL, "opened", language, NOW)
    assert expected in msg.body and "#12" in msg.body


def test_a_province_template_cannot_reach_python(tmp_path):
    """Templates from ``templates_dir`` run in Jinja's sandbox: one that climbs from a global
    to ``os`` is stopped with a reason and runs nothing on the collector host."""
    own, planted = tmp_path / "templates", tmp_path / "planted"
    (own / "vi").mkdir(parents=True)
    (own / "vi" / "school_offline.opened.j2").write_text(
        "{{ school.name }}\n\n"
        f"{{{{ cycler.__init__.__globals__.os.system('touch {planted}') }}}}\n",
        encoding="utf-8",
    )
    engine, sessions = registry(f"sqlite:///{tmp_path}/r.sqlite3", tmp_path)
    clock = Clock(datetime(2026, 11, 17, 9, 0, tzinfo=VN))
    worker = NotifyWorker(
        load_settings(
            None,
            notify={
                "templates_dir": str(own),
                "respect_school_time": False,
                "digest_at": None,
                "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"},
            },
        ),
        sessions,
        clock=clock,
    )
    add_contact(sessions, school_id="lc-test-01", email="lan@thcs1.test")
    open_incident(sessions, clock())
    worker.tick()
    [row] = outbox_rows(sessions)
    assert not planted.exists()
    assert row.state == "pending" and row.last_error.startswith("render: "), row.last_error
    assert "unsafe" in row.last_error and "__init__" in row.last_error, row.last_error
    engine.dispose()
