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

from .audience import Audience, audience_of, item_audiences, key_of, new_item_audiences
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


# --- Addressing: each event goes to the item's audience (incidents.audience) ---------------------

# What `before` holds: the audiences of an item and its follow-ups, read before the change.
Audiences = dict[tuple[str, int], Audience]


def _emit_to(
    kind: str, entity_type: str, entity_id: int, audience: Audience, payload: dict
) -> None:
    emit(
        kind,
        entity_type=entity_type,
        entity_id=entity_id,
        area_ids=audience.area_ids,
        user_ids=audience.user_ids,
        payload=payload,
    )


def _emit_change(
    entity_type: str, entity_id: int, payload: dict, now: Audience, before: Audience | None
) -> None:
    """`<entity>.removed` to whom the change took the row from, then `<entity>.upserted` to
    whoever sees it now. In that order: someone in both (an area lost, an assignment kept)
    ends with the row."""
    left = before - now if before is not None else Audience()
    if left:
        _emit_to(f"{entity_type}.removed", entity_type, entity_id, left, {"id": entity_id})
    _emit_to(f"{entity_type}.upserted", entity_type, entity_id, now, payload)


def emit_item(
    item: Incident | NeighbourhoodConcern,
    before: Audiences | None = None,
    *,
    also_user_ids: Iterable[int | None] = (),
    created: bool = False,
) -> None:
    """An incident or concern changed: its event to its audience, plus its follow-ups' events
    where the change moved them too (a move takes them to another area).

    `before` is `item_audiences(item)` read before the change (None for a new item);
    `also_user_ids` are people who saw it before through a path already changed (a reassigned
    officer), counted in the audience it may have left. `created`: the item was saved in this
    transaction and nothing links to it yet (audience.new_item_audiences).
    """
    before = dict(before or {})
    key = key_of(item)
    extra = Audience.of(user_ids=also_user_ids)
    if extra:
        before[key] = before.get(key, Audience()) | extra
    now = new_item_audiences(item) if created else item_audiences(item)
    payload = incident_payload(item) if isinstance(item, Incident) else concern_payload(item)
    _emit_change(key[0], item.pk, payload, now[key], before.get(key))
    moved = [
        pk
        for (kind, pk), was in before.items()
        if kind == "followup" and was != now.get((kind, pk))
    ]
    for followup in FollowUp.objects.filter(pk__in=moved).order_by("pk"):
        key = ("followup", followup.pk)
        _emit_change("followup", followup.pk, followup_payload(followup), now[key], before[key])


def emit_followup(followup: FollowUp, before: Audiences | None = None) -> None:
    """A follow-up changed: its event, and its item's when the change gave the item to someone
    or took it from someone (its assignees see the item).

    `before` is `audiences(followup, followup.item)` read before a change of assignee (the
    item's alone for a new follow-up); None when the change moves no one's view.
    """
    before = before or {}
    item = followup.item
    key = ("followup", followup.pk)
    _emit_change(
        "followup", followup.pk, followup_payload(followup), audience_of(followup), before.get(key)
    )
    item_key = key_of(item)
    if item_key in before and before[item_key] != audience_of(item):
        emit_item(item, before={item_key: before[item_key]})


def emit_view_changes(items: dict[tuple[str, int], tuple[Any, Audiences]]) -> None:
    """After a change of people elsewhere (a patrol's crew), the events of the items whose
    audience it changed: `items` maps each item's key to (item, its audiences before)."""
    for item, before in items.values():
        if item_audiences(item) != before:
            emit_item(item, before)


def emit_timeline(item: Incident | NeighbourhoodConcern, entry: TimelineEntry) -> None:
    """A timeline entry goes to whoever sees its item."""
    _emit_to("timeline.added", key_of(item)[0], item.pk, audience_of(item), timeline_payload(entry))


def emit_patrol(
    patrol: Patrol, kind: str = "patrol.upserted", previous_area_id: int | None = None
) -> None:
    """Every operational user sees every patrol (audience.SEEN_BY_EVERY_OPERATIONAL_USER); the
    areas say where it is and was, for readers of the outbox."""
    audience = Audience.of(area_ids=[patrol.area_id, previous_area_id])
    _emit_to(kind, "patrol", patrol.pk, audience, patrol_payload(patrol))


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
