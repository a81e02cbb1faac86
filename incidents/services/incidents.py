"""Incident writes: create, update, move, transition, notes, links (imports: see imports.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from .. import events
from ..audience import item_audiences
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
from .authority import require_may_send, require_may_transition, require_unit_for
from .patrols import patrol_follow_work
from .people import access_record

_UPDATABLE = ("title", "description", "address", "priority", "occurred_at", "category")


def _emit_incident(
    incident: Incident,
    before: events.Audiences | None = None,
    also_user_ids: Iterable[int | None] = (),
    *,
    created: bool = False,
) -> None:
    """The incident's event to whoever sees it now (incidents.audience), and a removal to
    whoever the change took it from: its audiences read before a move (`before`) or a unit
    taken off it (`also_user_ids`), so the item leaves their map and work list."""
    events.emit_item(incident, before, also_user_ids=also_user_ids, created=created)


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
    require_unit_for(status, has_unit=False)
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
    _emit_incident(incident, created=True)
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
    # Who sees it before a move (its area's officers), so those it leaves are told.
    before = item_audiences(obj) if "location" in changes else None
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
    _emit_incident(obj, before)
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
    """Move along the lifecycle; any other move raises InvalidTransition and changes nothing.

    "Dispatched" only through `incident_dispatch`, "on scene" only with a unit sent
    (`authority.require_unit_for`, InvalidInput). Who may make the move is decided by
    `authority.require_may_transition` (NotAllowed); the patrol sent to the incident follows
    (busy while dispatched or on scene, available after).
    """
    obj = _lock(incident)
    if to_status not in IncidentStatus.values:
        raise InvalidInput({"status": [f"Unknown status '{to_status}'."]})
    require_unit_for(to_status, has_unit=bool(obj.assigned_officer_id or obj.assigned_patrol_id))
    require_may_transition(actor, obj, to_status)
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
    if obj.assigned_patrol_id:
        patrol_follow_work(patrol=obj.assigned_patrol_id)
    _emit_incident(obj)
    return obj


@transaction.atomic
def incident_add_note(*, incident: Incident | int, text: str, actor: Any = None) -> Incident:
    text = note_text(text)
    obj = _lock(incident)
    entry = add_timeline(item=obj, kind="note", actor=actor, text=text)
    obj.save(update_fields=["updated_at"])
    events.emit_timeline(obj, entry)
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
    """Record which officer and/or patrol work on an incident, without moving its status (see
    services.dispatch for sending a unit). A person needs the right to send that unit."""
    obj = _lock(incident)
    if actor is not None:
        require_may_send(actor, obj, patrol=patrol, officer=officer)
    before = unit_user_ids(obj)
    previous_patrol_id = obj.assigned_patrol_id
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
    for patrol_id in {previous_patrol_id, obj.assigned_patrol_id} - {None}:
        patrol_follow_work(patrol=patrol_id)
    _emit_incident(obj, also_user_ids=before)
    return obj


def unit_user_ids(incident: Incident) -> list[int]:
    """The people of the unit sent to an incident: its officer and its patrol's members."""
    ids = [incident.assigned_officer_id] if incident.assigned_officer_id else []
    if incident.assigned_patrol_id:
        ids += list(
            Patrol.members.through.objects.filter(
                patrol_id=incident.assigned_patrol_id
            ).values_list("user_id", flat=True)
        )
    return ids
