"""Incident writes: create, update, move, transition, notes, links, upserts from adapters."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from .. import events
from ..errors import InvalidInput, InvalidTransition
from ..models import (
    Category,
    Incident,
    NeighbourhoodConcern,
    Patrol,
    PersonalDataAccess,
    ReporterContact,
)
from ..models.choices import (
    INCIDENT_FINAL_STATUSES,
    IncidentStatus,
    Priority,
    incident_status_path,
)
from ._common import (
    add_timeline,
    area_for,
    check_priority,
    clean_point,
    lock_row,
    next_reference,
    note_text,
    resolve_category,
)
from .people import access_record

_UPDATABLE = ("title", "description", "address", "priority", "occurred_at", "category")


def _emit_incident(incident: Incident, previous_area_id: int | None = None) -> None:
    """One upserted event; a move also reaches the old area, so its screens drop the item."""
    user_ids = [incident.assigned_officer_id]
    if incident.assigned_patrol_id:
        user_ids += list(incident.assigned_patrol.members.values_list("id", flat=True))
    user_ids += list(incident.followups.values_list("assignee_id", flat=True))
    events.emit(
        "incident.upserted",
        entity_type="incident",
        entity_id=incident.id,
        area_ids=[incident.area_id, previous_area_id],
        user_ids=user_ids,
        payload=events.incident_payload(incident),
    )


@transaction.atomic
def incident_create(
    *,
    actor: Any = None,
    actor_label: str = "",
    category: Category | str,
    priority: str = Priority.MEDIUM,
    title: str = "",
    description: str = "",
    location: Point | None = None,
    address: str = "",
    reported_at: datetime | None = None,
    occurred_at: datetime | None = None,
    status: str = IncidentStatus.NEW,
    source: str = "koban",
    external_id: str | None = None,
    content_hash: str = "",
    reporter: dict[str, Any] | None = None,
) -> Incident:
    """Create an incident, its area from its location, a 'created' entry and an event."""
    location = clean_point(location)
    if status not in IncidentStatus.values:
        raise InvalidInput({"status": [f"Unknown status '{status}'."]})
    now = timezone.now()
    reported_at = reported_at or now
    incident = Incident.objects.create(
        reference=next_reference("incidents_incident_reference_seq", "OC", reported_at.year, 6),
        category=resolve_category(category),
        priority=check_priority(priority),
        status=status,
        title=title[:200],
        description=description,
        location=location,
        address=address[:255],
        area=area_for(location),
        reported_at=reported_at,
        occurred_at=occurred_at,
        resolved_at=now if status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED) else None,
        source=source,
        external_id=external_id,
        content_hash=content_hash,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    if reporter and any(reporter.values()):
        ReporterContact.objects.create(incident=incident, **reporter)
        # Collection of a resident's personal data is logged like any consultation.
        access_record(
            user=actor,
            action=PersonalDataAccess.Action.CREATE,
            incident=incident,
            channel=source,
            purpose="reporter contact recorded with the incident",
        )
    add_timeline(
        item=incident,
        kind="created" if source == "koban" else "imported",
        actor=actor,
        actor_label=actor_label,
        to_status=status,
        text=f"{source}:{external_id}" if external_id else "",
    )
    _emit_incident(incident)
    return incident


def _lock(incident: Incident | int) -> Incident:
    return lock_row(Incident, incident, "category")


@transaction.atomic
def incident_update(
    *, incident: Incident | int, actor: Any = None, actor_label: str = "", **changes: Any
) -> Incident:
    """Change descriptive fields and/or the location; a move re-derives the area."""
    unknown = set(changes) - set(_UPDATABLE) - {"location", "content_hash"}
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed here."] for name in unknown})
    obj = _lock(incident)
    changed: dict[str, Any] = {}
    for name in _UPDATABLE:
        if name not in changes:
            continue
        value = changes[name]
        if name == "category":
            value = resolve_category(value)
        if name == "priority":
            check_priority(value)
        if getattr(obj, name) != value:
            changed[name] = str(value)
            setattr(obj, name, value)
    moved = False
    previous_area_id = obj.area_id
    if "location" in changes:
        location = clean_point(changes["location"])
        old = obj.location
        if (old is None) != (location is None) or (
            old is not None and location is not None and not old.equals_exact(location, 1e-9)
        ):
            obj.location = location
            obj.area = area_for(location)
            moved = True
    if "content_hash" in changes:
        obj.content_hash = changes["content_hash"]
    if not changed and not moved:
        if "content_hash" in changes:
            obj.save(update_fields=["content_hash"])
        return obj
    obj.save()
    if changed:
        add_timeline(
            item=obj,
            kind="updated",
            actor=actor,
            actor_label=actor_label,
            data={"changed": changed},
        )
    if moved:
        add_timeline(
            item=obj,
            kind="moved",
            actor=actor,
            actor_label=actor_label,
            text=obj.area.name if obj.area else "",
            data={"location": events.lonlat(obj.location), "area": obj.area_id},
        )
    _emit_incident(obj, previous_area_id if previous_area_id != obj.area_id else None)
    return obj


def incident_move(
    *,
    incident: Incident | int,
    location: Point | None,
    actor: Any = None,
    address: str | None = None,
) -> Incident:
    """Move an incident; its area follows the point (or is cleared outside every area)."""
    changes: dict[str, Any] = {"location": location}
    if address is not None:
        changes["address"] = address
    return incident_update(incident=incident, actor=actor, **changes)


@transaction.atomic
def incident_transition(
    *,
    incident: Incident | int,
    to_status: str,
    actor: Any = None,
    actor_label: str = "",
    note: str = "",
    duplicate_of: Incident | None = None,
) -> Incident:
    """Move along the lifecycle; any other move raises InvalidTransition and changes nothing."""
    obj = _lock(incident)
    if to_status not in IncidentStatus.values:
        raise InvalidInput({"status": [f"Unknown status '{to_status}'."]})
    if not obj.can_transition_to(to_status):
        raise InvalidTransition(
            entity="incident",
            current=obj.status,
            target=to_status,
            allowed=obj.allowed_transitions(),
        )
    if to_status == IncidentStatus.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == obj.pk:
            raise InvalidInput({"duplicate_of": ["Say which incident this one duplicates."]})
        obj.duplicate_of = duplicate_of
    previous = obj.status
    obj.status = to_status
    now = timezone.now()
    if to_status == IncidentStatus.RESOLVED:
        obj.resolved_at = now
    elif to_status in INCIDENT_FINAL_STATUSES:
        # Closed, cancelled or merged: when the item ended (retention counts from here).
        obj.closed_at = now
    elif previous == IncidentStatus.RESOLVED:
        obj.resolved_at = None
    obj.save()
    add_timeline(
        item=obj,
        kind="status",
        actor=actor,
        actor_label=actor_label,
        from_status=previous,
        to_status=to_status,
        text=note,
    )
    _emit_incident(obj)
    return obj


@transaction.atomic
def incident_add_note(*, incident: Incident | int, text: str, actor: Any = None) -> Incident:
    text = note_text(text)
    obj = _lock(incident)
    entry = add_timeline(item=obj, kind="note", actor=actor, text=text)
    obj.save(update_fields=["updated_at"])
    events.emit(
        "timeline.added",
        entity_type="incident",
        entity_id=obj.id,
        area_ids=[obj.area_id],
        user_ids=[obj.assigned_officer_id],
        payload=events.timeline_payload(entry),
    )
    _emit_incident(obj)
    return obj


@transaction.atomic
def incident_set_status_notes(
    *, incident: Incident | int, text: str, actor: Any = None, actor_label: str = ""
) -> Incident:
    """Set what residents and Open311 clients are told about the incident (public text).

    Empty text clears it; an unchanged text writes nothing."""
    text = (text or "").strip()
    obj = _lock(incident)
    if obj.status_notes == text:
        return obj
    obj.status_notes = text
    obj.save(update_fields=["status_notes", "updated_at"])
    add_timeline(
        item=obj,
        kind="updated",
        actor=actor,
        actor_label=actor_label,
        data={"changed": {"status_notes": text}},
    )
    _emit_incident(obj)
    return obj


@transaction.atomic
def incident_link_concern(
    *, incident: Incident | int, concern: NeighbourhoodConcern | None, actor: Any = None
) -> Incident:
    """Attach an incident to a concern (or detach it with None), on both timelines."""
    obj = _lock(incident)
    if obj.concern_id == (concern.pk if concern else None):
        return obj
    previous = obj.concern
    obj.concern = concern
    obj.save()
    if concern is not None:
        add_timeline(
            item=obj,
            kind="linked",
            actor=actor,
            text=concern.reference,
            data={"concern": concern.pk},
        )
        add_timeline(
            item=concern, kind="linked", actor=actor, text=obj.reference, data={"incident": obj.pk}
        )
    elif previous is not None:
        add_timeline(
            item=obj, kind="linked", actor=actor, text="", data={"unlinked_concern": previous.pk}
        )
    _emit_incident(obj)
    return obj


@transaction.atomic
def incident_assign(
    *,
    incident: Incident | int,
    officer: Any = None,
    patrol: Patrol | None = None,
    actor: Any = None,
) -> Incident:
    obj = _lock(incident)
    obj.assigned_officer = officer
    obj.assigned_patrol = patrol
    obj.save()
    add_timeline(
        item=obj,
        kind="updated",
        actor=actor,
        text=" / ".join(str(x) for x in (officer, patrol) if x is not None),
        data={
            "assigned_officer": getattr(officer, "pk", None),
            "assigned_patrol": getattr(patrol, "pk", None),
        },
    )
    _emit_incident(obj)
    return obj


# --- Upserts from adapters ------------------------------------------------------------------------


@dataclass(frozen=True)
class UpsertResult:
    incident: Incident
    outcome: str  # "created", "updated" or "unchanged"


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
        incident = incident_create(
            actor_label=actor_label,
            category=category,
            priority=priority,
            status=status or IncidentStatus.NEW,
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
