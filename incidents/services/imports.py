"""What arrives from other systems: incident upserts, vehicle positions, and the concern a sensor
rule raises.

The domain decides what an imported record does (create, update, skip unchanged, reopen);
integrations only map a source's payload into these calls, so the rules, the timeline and
the outbox events are the same as for a change made by a person.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction

from .. import events
from ..models import Category, Incident, NeighbourhoodConcern, Patrol
from ..models.choices import ConcernStatus, IncidentStatus, Priority, incident_status_path
from ._common import add_timeline
from .concerns import concern_add_note, concern_create, concern_transition
from .incidents import incident_create, incident_transition, incident_update
from .patrols import patrol_record_position


@dataclass(frozen=True)
class UpsertResult:
    incident: Incident
    outcome: str  # "created", "updated" or "unchanged"


@dataclass(frozen=True)
class ConcernSignalResult:
    concern: NeighbourhoodConcern
    outcome: str  # "created" (a new concern) or "updated" (noted, reopened if closed)


@dataclass(frozen=True)
class PositionResult:
    patrol: Patrol | None
    outcome: str  # "created", "unchanged" (a fix seen before) or "unknown_vehicle"


def content_hash_of(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True, default=str).encode()).hexdigest()


@transaction.atomic
def incident_upsert_external(
    *,
    source: str,
    external_id: str,
    category: Category | str,
    priority: str = Priority.MEDIUM,
    status: str | None = None,
    title: str = "",
    description: str = "",
    location: Point | None = None,
    address: str = "",
    reported_at: datetime | None = None,
    occurred_at: datetime | None = None,
    actor_label: str = "",
) -> UpsertResult:
    """Idempotent by (source, external_id): unchanged records (same content hash) are skipped.

    A changed upstream status moves the incident only along an allowed path; a status the
    lifecycle refuses is recorded on the timeline as a note rather than forced.
    """
    record = {
        "category": category if isinstance(category, str) else category.code,
        "priority": priority,
        "status": status,
        "title": title,
        "description": description,
        "location": events.lonlat(location),
        "address": address,
        "reported_at": reported_at,
        "occurred_at": occurred_at,
    }
    digest = content_hash_of(record)
    actor_label = actor_label or f"source:{source}"
    existing = (
        Incident.objects.select_for_update().filter(source=source, external_id=external_id).first()
    )
    if existing is None:
        # Only Koban sends its units: an upstream "dispatched" or "on scene" names nobody here,
        # so the incident starts acknowledged (someone upstream took it on).
        held = status in (IncidentStatus.DISPATCHED, IncidentStatus.ON_SCENE)
        incident = incident_create(
            actor_label=actor_label,
            category=category,
            priority=priority,
            status=IncidentStatus.ACKNOWLEDGED if held else status or IncidentStatus.NEW,
            title=title,
            description=description,
            location=location,
            address=address,
            reported_at=reported_at,
            occurred_at=occurred_at,
            source=source,
            external_id=external_id,
            content_hash=digest,
        )
        return UpsertResult(incident, "created")
    if existing.content_hash == digest:
        return UpsertResult(existing, "unchanged")
    incident = incident_update(
        incident=existing,
        actor_label=actor_label,
        category=category,
        priority=priority,
        title=title[:200],
        description=description,
        address=address[:255],
        occurred_at=occurred_at,
        location=location,
        content_hash=digest,
    )
    if status and status != incident.status:
        path = incident_status_path(incident.status, status)
        has_unit = bool(incident.assigned_officer_id or incident.assigned_patrol_id)
        if path and (
            IncidentStatus.DISPATCHED in path or (IncidentStatus.ON_SCENE in path and not has_unit)
        ):
            path = None  # as on creation: Koban's units are sent only from Koban
        if path is None:
            add_timeline(
                item=incident,
                kind="note",
                actor_label=actor_label,
                text=f"Upstream status '{status}' not applied from '{incident.status}'.",
            )
        for step in path or []:
            incident = incident_transition(
                incident=incident, to_status=step, actor_label=actor_label
            )
    return UpsertResult(incident, "updated")


@transaction.atomic
def concern_signal_record(
    *,
    source: str,
    external_id: str,
    title: str,
    category: Category | str,
    note: str,
    description: str = "",
    priority: str = Priority.MEDIUM,
    location: Point | None = None,
    actor_label: str = "",
) -> ConcernSignalResult:
    """A sensor rule fired: open its concern (or reopen a closed one) and note the breach.

    One concern per (source, external_id), so a rule that keeps firing is worked on as one
    neighbourhood concern, not a new one each time.
    """
    actor_label = actor_label or f"source:{source}"
    concern = (
        NeighbourhoodConcern.objects.select_for_update()
        .filter(source=source, external_id=external_id)
        .only("id", "status")
        .first()
    )
    outcome = "updated"
    if concern is None:
        concern = concern_create(
            actor_label=actor_label,
            title=title,
            category=category,
            description=description,
            priority=priority,
            raised_by=NeighbourhoodConcern.RaisedBy.SENSOR,
            location=location,
            source=source,
            external_id=external_id,
        )
        outcome = "created"
    elif concern.status == ConcernStatus.CLOSED:
        concern = concern_transition(
            concern=concern,
            to_status=ConcernStatus.OPEN,
            actor_label=actor_label,
            note="Reopened: the sensor rule fired again.",
        )
    concern = concern_add_note(concern=concern, text=note, actor_label=actor_label)
    return ConcernSignalResult(concern, outcome)


def patrol_position_record(
    *,
    source: str,
    vehicle_id: str,
    location: Point | None,
    recorded_at: datetime | None = None,
    speed_kmh: float | None = None,
    heading: float | None = None,
) -> PositionResult:
    """A tracker's fix for the patrol that carries the vehicle; a vehicle no patrol carries is
    not an error here (the source's configuration decides whether to skip or reject it)."""
    patrol = Patrol.objects.filter(vehicle_id=vehicle_id).only("id").first()
    if patrol is None:
        return PositionResult(None, "unknown_vehicle")
    patrol, recorded = patrol_record_position(
        patrol=patrol,
        location=location,
        recorded_at=recorded_at,
        speed_kmh=speed_kmh,
        heading=heading,
        source=source,
    )
    return PositionResult(patrol, "created" if recorded else "unchanged")
