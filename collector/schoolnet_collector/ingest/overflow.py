"""One incident for a school whose devices went over an ingest budget (budgets.py).

The network staff must learn that a school's data is being refused, and why, without a
flood: ``Budgets`` names each school once a day, and the partial unique index on open incident
keys keeps it to one incident while it is open, whichever collector saw it. The incident is
opened here, in the registry, because ingest sits below alerting; the evaluator resolves it
like any incident whose condition it no longer finds.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from schoolnet_collector.registry.alerting_models import Incident, IncidentEvent

log = logging.getLogger("schoolnet.ingest")

RULE = "ingest_budget"
ACTOR = "ingest"
WHAT = {
    "series": "new series (measurement and instance) per device",
    "fields": "new field keys per device",
    "event_types": "new event types per device",
    "new_devices": "new device ids per school",
}


def open_budget_incidents(session: Session, exceeded: dict[str, str]) -> int:
    """Open ``ingest_budget:<school>`` for each school; returns how many were opened."""
    opened = 0
    now = datetime.now(timezone.utc)
    for school, budget in exceeded.items():
        summary = f"ingest budget exceeded: {WHAT.get(budget, budget)} today; the excess is refused"
        incident = Incident(
            key=f"{RULE}:{school}",
            rule=RULE,
            school_id=school,
            device_id=None,
            severity="warning",
            state="open",
            flapping=False,
            summary=summary,
            details={"budget": budget},
            opened_at=now,
        )
        try:
            session.add(incident)
            session.flush()
            session.add(
                IncidentEvent(
                    incident_id=incident.id, at=now, kind="opened", actor=ACTOR, note=summary
                )
            )
            session.commit()
        except IntegrityError:  # open already (another collector, or earlier today)
            session.rollback()
            continue
        opened += 1
        log.warning("school %s: %s", school, summary)
    return opened
