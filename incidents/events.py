"""The seam between the domain and the live feed: outbox rows written with each change.

Services call `emit` inside their transaction. The row takes a transaction-level advisory
lock first, so outbox ids are handed out in commit order; a writer waits for that lock at most
KOBAN_OUTBOX_LOCK_TIMEOUT_SECONDS, then fails (LockNotAvailable) and its whole transaction rolls
back. After commit, the ids are handed to the publisher named by settings.KOBAN_EVENT_PUBLISHER
(the dashboard's live feed, which never blocks the committing thread); a rollback publishes
nothing because nothing was committed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.module_loading import import_string

from .models import FollowUp, Incident, NeighbourhoodConcern, OutboxEvent, Patrol, TimelineEntry

logger = logging.getLogger(__name__)

# Arbitrary constant key of the advisory lock that serialises outbox writers.
OUTBOX_LOCK_KEY = 7_326_115
# Takes the outbox lock under its own lock_timeout, then puts back the transaction's own (a web
# process's WEB_LOCK_TIMEOUT_SECONDS, or none), in one round trip. The lock is volatile, so the
# CTEs run once each, in data order: save and set, lock, restore.
_TAKE_OUTBOX_LOCK = """
WITH saved AS (
    SELECT current_setting('lock_timeout') AS value, set_config('lock_timeout', %s, true)
), locked AS (
    SELECT pg_advisory_xact_lock(%s) FROM saved
)
SELECT set_config('lock_timeout', saved.value, true) FROM saved, locked
"""


def _publisher() -> Callable[[list[int]], None]:
    return import_string(settings.KOBAN_EVENT_PUBLISHER)


def _publish_after_commit(event_id: int) -> None:
    try:
        _publisher()([event_id])
    except Exception:  # the outbox keeps the event: clients replay it, nothing is lost
        logger.exception("publishing outbox event %s failed; clients will replay it", event_id)


def emit(
    kind: str,
    *,
    entity_type: str,
    entity_id: int,
    area_ids: Iterable[int | None] = (),
    user_ids: Iterable[int | None] = (),
    payload: dict[str, Any],
) -> OutboxEvent:
    """Append one outbox event in the caller's transaction and publish it after commit."""
    if not connection.in_atomic_block:
        raise RuntimeError("emit() must run inside the transaction of the change it records")
    timeout_ms = max(1, round(settings.KOBAN_OUTBOX_LOCK_TIMEOUT_SECONDS * 1000))
    with connection.cursor() as cursor:
        cursor.execute(_TAKE_OUTBOX_LOCK, [f"{timeout_ms}ms", OUTBOX_LOCK_KEY])
    event = OutboxEvent.objects.create(
        kind=kind,
        entity_type=entity_type,
        entity_id=entity_id,
        area_ids=sorted({a for a in area_ids if a is not None}),
        user_ids=sorted({u for u in user_ids if u is not None}),
        payload=payload,
    )
    transaction.on_commit(lambda: _publish_after_commit(event.id))
    return event


# --- Payloads: small, map-ready, and free of personal data ---------------------------------------


def lonlat(point: Any) -> list[float] | None:
    return [round(point.x, 6), round(point.y, 6)] if point is not None else None


def incident_payload(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "reference": incident.reference,
        "title": incident.title,
        "category": incident.category.code,
        "priority": incident.priority,
        "status": incident.status,
        "location": lonlat(incident.location),
        "address": incident.address,
        "area": incident.area_id,
        "concern": incident.concern_id,
        "reported_at": incident.reported_at.isoformat(),
        "updated_at": incident.updated_at.isoformat(),
    }


def concern_payload(concern: NeighbourhoodConcern) -> dict[str, Any]:
    return {
        "id": concern.id,
        "reference": concern.reference,
        "title": concern.title,
        "category": concern.category.code,
        "priority": concern.priority,
        "status": concern.status,
        "location": lonlat(concern.location),
        "area": concern.area_id,
        "next_review_on": concern.next_review_on.isoformat() if concern.next_review_on else None,
        "updated_at": concern.updated_at.isoformat(),
    }


def patrol_payload(patrol: Patrol) -> dict[str, Any]:
    return {
        "id": patrol.id,
        "call_sign": patrol.call_sign,
        "kind": patrol.kind,
        "status": patrol.status,
        "area": patrol.area_id,
        "location": lonlat(patrol.last_position),
        "position_at": patrol.last_position_at.isoformat() if patrol.last_position_at else None,
    }


def followup_payload(followup: FollowUp) -> dict[str, Any]:
    return {
        "id": followup.id,
        "title": followup.title,
        "incident": followup.incident_id,
        "concern": followup.concern_id,
        "assignee": followup.assignee_id,
        "assignee_patrol": followup.assignee_patrol_id,
        "due_at": followup.due_at.isoformat(),
        "status": followup.status,
        "tell_resident": followup.tell_resident,
        "updated_at": followup.updated_at.isoformat(),
    }


def timeline_payload(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "incident": entry.incident_id,
        "concern": entry.concern_id,
        "kind": entry.kind,
        "actor": entry.actor_name,
        "from_status": entry.from_status,
        "to_status": entry.to_status,
        "text": entry.text,
        "created_at": entry.created_at.isoformat(),
    }


def repeat_place_payload(proposal: Any) -> dict[str, Any]:
    """A repeat-place proposal for the supervisors' map layer: a place and times, no people."""
    ring = proposal.place.exterior_ring.coords if proposal.place is not None else ()
    return {
        "id": proposal.id,
        "status": proposal.status,
        "category": proposal.category.code,
        "incident_count": proposal.incident_count,
        "centre": lonlat(proposal.centre),
        "radius_m": proposal.radius_m,
        "place": [[round(x, 6), round(y, 6)] for x, y in ring],
        "area": proposal.area_id,
        "first_reported_at": proposal.first_reported_at.isoformat(),
        "last_reported_at": proposal.last_reported_at.isoformat(),
        "reason": proposal.reason,
        "concern": proposal.concern_id,
        "updated_at": proposal.updated_at.isoformat(),
    }
