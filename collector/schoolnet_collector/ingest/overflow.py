"""One incident for a school whose devices went over an ingest budget (budgets.py).

The network staff must learn that a school's data is being refused, and why, without a
flood: ``Budgets`` names each school once a day, and the partial unique index on open incident
keys keeps it to one incident while it is open, whichever collector saw it. The incident is
opened here, in the registry, because ingest sits below alerting; the evaluator resolves it
like any incident whose condition it no longer finds.

Like every incident's, the summary is stored as a message id and its arguments
(``summary_id``, ``summary_args``) with its English as the literal fallback, so each reader sees
it in their own language (``Incident.summary_text``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schoolnet_collector import i18n
from schoolnet_collector.registry.alerting_models import Incident, IncidentEvent

log = logging.getLogger("schoolnet.ingest")

RULE = "ingest_budget"
ACTOR = "ingest"
WHAT = {
    "series": i18n.N_("new series (measurement and instance) per device"),
    "fields": i18n.N_("new field keys per device"),
    "event_types": i18n.N_("new event types per device"),
    "new_devices": i18n.N_("new device ids per school"),
}


def summary(school: str, budget: str) -> i18n.Deferred:
    """The incident's message: the id and arguments, worded when it is read."""
    what: object = WHAT.get(budget, budget)
    return i18n.deferred(
        "Ingest budget exceeded at %(school)s: %(what)s today; the excess is refused",
        school=school,
        what=what,
    )


def open_budget_incidents(session: Session, exceeded: dict[str, str]) -> int:
    """Open ``ingest_budget:<school>`` for each school; returns how many were opened."""
    opened = 0
    now = datetime.now(timezone.utc)
    for school, budget in exceeded.items():
        message = summary(school, budget)
        english = message.render("en")
        incident = Incident(
            key=f"{RULE}:{school}",
            rule=RULE,
            school_id=school,
            device_id=None,
            severity="warning",
            state="open",
            flapping=False,
            summary=english,
            summary_id=message.message,
            summary_args=message.to_json()["args"],
            details={"budget": budget},
            opened_at=now,
        )
        try:
            session.add(incident)
            session.flush()
            session.add(
                IncidentEvent(
                    incident_id=incident.id, at=now, kind="opened", actor=ACTOR, note=english
                )
            )
            session.commit()
        except IntegrityError:  # open already (another collector, or earlier today)
            session.rollback()
            continue
        opened += 1
        log.warning("%s", english)
    return opened
