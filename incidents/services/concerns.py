"""Neighbourhood-concern writes.

Who may change a concern is decided here (API permission classes are only a first gate), so
the admin, commands and tasks obey it: an officer, supervisor or administrator who sees the
concern; closing or reopening it, and handing it to another owner, is for a supervisor or its
owner. A refusal raises NotAllowed (HTTP 403); an actor of None is the system (a sensor rule,
the demo) and is not refused.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.gis.geos import Point, Polygon
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events, roles, selectors
from ..audience import item_audiences
from ..errors import InvalidInput, InvalidTransition, NotAllowed
from ..models import Category, NeighbourhoodConcern
from ..models.choices import ConcernStatus, Priority
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


def _emit_concern(concern: NeighbourhoodConcern, before: events.Audiences | None = None) -> None:
    """The concern's event to whoever sees it now (incidents.audience), and a removal to whoever
    a move or a new owner took it from (`before`: its audiences read before the change)."""
    events.emit_item(concern, before)


@transaction.atomic
def concern_create(
    *,
    actor: Any = None,
    actor_label: str = "",
    title: str,
    category: Category | str,
    description: str = "",
    priority: str = Priority.MEDIUM,
    raised_by: str = NeighbourhoodConcern.RaisedBy.RESIDENTS,
    location: Point | None = None,
    place: Polygon | None = None,
    address: str = "",
    partners: str = "",
    next_review_on: date | None = None,
    owner: Any = None,
    source: str = "koban",
    external_id: str | None = None,
) -> NeighbourhoodConcern:
    if not (title or "").strip():
        raise InvalidInput({"title": ["A concern needs a title."]})
    check_priority(priority)
    location = clean_point(location)
    concern = NeighbourhoodConcern.objects.create(
        reference=next_reference(
            "incidents_concern_reference_seq", "PC", timezone.localdate().year, 4
        ),
        title=title.strip()[:200],
        description=description,
        category=resolve_category(category),
        priority=priority,
        raised_by=raised_by,
        location=location,
        place=_clean_place(place),
        address=address,
        area=area_for(location),
        partners=partners,
        next_review_on=next_review_on,
        owner=owner,
        source=source,
        external_id=external_id,
    )
    add_timeline(
        item=concern, kind="created", actor=actor, actor_label=actor_label, to_status=concern.status
    )
    _emit_concern(concern)
    return concern


def _clean_place(place: Polygon | None) -> Polygon | None:
    if place is None:
        return None
    if not isinstance(place, Polygon) or place.empty or not place.valid:
        raise InvalidInput({"place": [_("A place must be a valid polygon.")]})
    return place.transform(4326, clone=True) if place.srid not in (None, 4326) else place


def _lock(concern: NeighbourhoodConcern | int) -> NeighbourhoodConcern:
    return lock_row(NeighbourhoodConcern, concern, "category")


def _person(actor: Any) -> bool:
    return actor is not None and actor.is_authenticated


def require_works_on(actor: Any, concern: NeighbourhoodConcern) -> None:
    """Officers, supervisors and administrators who see the concern may work on it."""
    if not _person(actor) or roles.sees_everything(actor):
        return
    if not roles.is_operational(actor):
        raise NotAllowed(_("Only officers and supervisors work on neighbourhood concerns."))
    if not selectors.concerns_visible_to(actor).filter(pk=concern.pk).exists():
        raise NotAllowed(_("You do not work on this concern."))


def may_decide(actor: Any, concern: NeighbourhoodConcern) -> bool:
    """Closing, reopening and handing over a concern: a supervisor or its owner."""
    return not _person(actor) or roles.sees_everything(actor) or concern.owner_id == actor.pk


_UPDATABLE = (
    "title",
    "description",
    "priority",
    "partners",
    "next_review_on",
    "address",
    "category",
    "owner",
    "response_started_at",
    "assessment_note",
)


@transaction.atomic
def concern_update(
    *,
    concern: NeighbourhoodConcern | int,
    actor: Any = None,
    actor_label: str = "",
    **changes: Any,
) -> NeighbourhoodConcern:
    unknown = set(changes) - set(_UPDATABLE) - {"location"}
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed here."] for name in unknown})
    obj = _lock(concern)
    require_works_on(actor, obj)
    # Who sees it before a move or a handover, so those it leaves are told.
    before = item_audiences(obj) if {"location", "owner"} & set(changes) else None
    owner = changes.get("owner", obj.owner)
    if "owner" in changes and owner != obj.owner and owner != actor and not may_decide(actor, obj):
        raise NotAllowed(_("Only a supervisor or the concern's owner may hand it over."))
    changed: dict[str, str] = {}
    for name in _UPDATABLE:
        if name in changes:
            value = changes[name]
            if name == "category":
                value = resolve_category(value)
            if name == "priority":
                check_priority(value)
            if getattr(obj, name) != value:
                changed[name] = str(value)
                setattr(obj, name, value)
    if "location" in changes:
        obj.location = clean_point(changes["location"])
        obj.area = area_for(obj.location)
        changed["location"] = str(events.lonlat(obj.location))
    if not changed:
        return obj
    obj.save()
    add_timeline(
        item=obj, kind="updated", actor=actor, actor_label=actor_label, data={"changed": changed}
    )
    _emit_concern(obj, before)
    return obj


@transaction.atomic
def concern_transition(
    *,
    concern: NeighbourhoodConcern | int,
    to_status: str,
    actor: Any = None,
    note: str = "",
    actor_label: str = "",
    assessment_note: str | None = None,
) -> NeighbourhoodConcern:
    """Move through scan, analyse, respond, assess. Responding starts the assessment clock;
    closing needs an assessment note (given here or recorded before): did it stop?"""
    obj = _lock(concern)
    require_works_on(actor, obj)
    if to_status not in ConcernStatus.values:
        raise InvalidInput({"status": [f"Unknown status '{to_status}'."]})
    closing_or_reopening = ConcernStatus.CLOSED in (to_status, obj.status)
    if closing_or_reopening and not may_decide(actor, obj):
        raise NotAllowed(_("Only a supervisor or the concern's owner may close or reopen it."))
    if not obj.can_transition_to(to_status):
        raise InvalidTransition(
            entity="concern",
            current=obj.status,
            target=to_status,
            allowed=obj.allowed_transitions(),
        )
    data: dict[str, str] = {}
    if assessment_note is not None and assessment_note.strip():
        obj.assessment_note = assessment_note.strip()
        data["assessment_note"] = obj.assessment_note
    if to_status == ConcernStatus.CLOSED and not obj.assessment_note.strip():
        raise InvalidInput(
            {"assessment_note": [_("Write an assessment (did the problem stop?) before closing.")]}
        )
    if to_status == ConcernStatus.RESPONDING and obj.response_started_at is None:
        obj.response_started_at = timezone.now()
        data["response_started_at"] = obj.response_started_at.isoformat()
    previous, obj.status = obj.status, to_status
    obj.save()
    add_timeline(
        item=obj,
        data=data,
        kind="status",
        actor=actor,
        actor_label=actor_label,
        from_status=previous,
        to_status=to_status,
        text=note,
    )
    _emit_concern(obj)
    return obj


@transaction.atomic
def concern_add_note(
    *, concern: NeighbourhoodConcern | int, text: str, actor: Any = None, actor_label: str = ""
) -> NeighbourhoodConcern:
    text = note_text(text)
    obj = _lock(concern)
    require_works_on(actor, obj)
    entry = add_timeline(item=obj, kind="note", actor=actor, actor_label=actor_label, text=text)
    obj.save(update_fields=["updated_at"])
    events.emit_timeline(obj, entry)
    _emit_concern(obj)
    return obj
