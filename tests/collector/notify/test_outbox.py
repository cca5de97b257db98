"""Two collectors on one PostgreSQL registry: each proposes every notification and both deliver
at the same time, yet every teacher gets each message once (unique dedup key, rows claimed
with FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import threading
from datetime import datetime

from schoolnet_collector.core.config import load_settings
from schoolnet_collector.notify import enqueue_for_transition
from schoolnet_collector.notify.worker import NotifyWorker
from schoolnet_collector.registry.alerting_models import Incident
from schoolnet_collector.registry.db import make_engine, session_factory
from tests.support.notify import VN, Clock, add_contact, outbox_rows, registry
from tests.support.smtp import SmtpServer

TEACHERS = 25


def test_two_collectors_send_each_notification_once(postgresql_url, tmp_path):
    engine_a, sessions_a = registry(postgresql_url, tmp_path)
    engine_b = make_engine(postgresql_url)
    sessions_b = session_factory(engine_b)
    clock = Clock(datetime(2026, 11, 17, 9, 0, tzinfo=VN))
    try:
        with SmtpServer() as smtp:
            settings = load_settings(
                None,
                registry={"url": postgresql_url},
                notify={
                    "smtp": {"host": "127.0.0.1", "port": smtp.port, "security": "none"},
                    "respect_school_time": False,
                    "digest_at": None,
                },
            )
            for i in range(TEACHERS):
                add_contact(
                    sessions_a, name=f"GV {i}", school_id="lc-test-01", email=f"gv{i}@thcs1.test"
                )
            with sessions_a.begin() as session:
                incident = Incident(
                    key="school_offline:lc-test-01",
                    rule="school_offline",
                    school_id="lc-test-01",
                    severity="critical",
                    state="open",
                    summary="Trường mất kết nối",
                    details={},
                    opened_at=clock(),
                )
                session.add(incident)
                session.flush()
                incident_id = incident.id
            workers = [NotifyWorker(settings, s, clock=clock) for s in (sessions_a, sessions_b)]
            # Both collectors see the transition and propose it, concurrently.
            barrier = threading.Barrier(2)

            def propose(sessions):
                with sessions.begin() as session:
                    barrier.wait()
                    enqueue_for_transition(
                        session, session.get(Incident, incident_id), "opened", clock()
                    )

            threads = [
                threading.Thread(target=propose, args=(s,)) for s in (sessions_a, sessions_b)
            ]
            [t.start() for t in threads]
            [t.join(30) for t in threads]
            assert len(outbox_rows(sessions_a)) == TEACHERS

            handled = [0, 0]
            start = threading.Barrier(2)

            def deliver(n):
                start.wait()
                while done := workers[n].deliver("email", limit=3):
                    handled[n] += done

            threads = [threading.Thread(target=deliver, args=(n,)) for n in (0, 1)]
            [t.start() for t in threads]
            [t.join(60) for t in threads]
            mails = smtp.wait_for(TEACHERS)
            assert len(smtp.wait_for(TEACHERS + 1, timeout=1)) == TEACHERS
        assert sorted(m["To"] for m in mails) == sorted(
            f"gv{i}@thcs1.test" for i in range(TEACHERS)
        )
        assert sum(handled) == TEACHERS and all(handled), handled  # both took a share
        assert {r.state for r in outbox_rows(sessions_a)} == {"sent"}
    finally:
        engine_a.dispose()
        engine_b.dispose()
