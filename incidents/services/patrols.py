"""Patrol writes: create, status, positions (many per minute from trackers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events
from ..audience import item_audiences, items_seen_through_patrol, key_of
from ..errors import InvalidInput
from ..models import Area, Incident, Patrol, PatrolPosition
from ..models.choices import IncidentStatus, PatrolKind, PatrolStatus
from ._common import clean_point


def _emit(patrol: Patrol, kind: str = "patrol.upserted") -> None:
    events.emit_patrol(patrol, kind)


@transaction.atomic
def patrol_create(
    *,
    call_sign: str,
    kind: str,
    area: Area | None = None,
    status: str = PatrolStatus.OFF_DUTY,
    members: list[Any] | None = None,
    vehicle_id: str | None = None,
    shift_starts_at: datetime | None = None,
    shift_ends_at: datetime | None = None,
) -> Patrol:
    if kind not in PatrolKind.values:
        raise InvalidInput({"kind": [f"Unknown patrol kind '{kind}'."]})
    if status not in PatrolStatus.values:
        raise InvalidInput({"status": [f"Unknown patrol status '{status}'."]})
    if Patrol.objects.filter(call_sign=call_sign).exists():
        raise InvalidInput({"call_sign": [f"A patrol with call sign '{call_sign}' exists."]})
    patrol = Patrol.objects.create(
        call_sign=call_sign,
        kind=kind,
        area=area,
        status=status,
        vehicle_id=vehicle_id,
        shift_starts_at=shift_starts_at,
        shift_ends_at=shift_ends_at,
    )
    if members:
        patrol.members.set(members)
    _emit(patrol)
    return patrol


@transaction.atomic
def patrol_set_status(*, patrol: Patrol | int, status: str, actor: Any = None) -> Patrol:
    if status not in PatrolStatus.values:
        raise InvalidInput({"status": [f"Unknown patrol status '{status}'."]})
    pk = patrol.pk if isinstance(patrol, Patrol) else patrol
    obj = Patrol.objects.select_for_update().get(pk=pk)
    if obj.status != status:
        obj.status = status
        obj.save()
        _emit(obj)
    return obj


@transaction.atomic
def patrol_follow_work(*, patrol: Patrol | int) -> Patrol:
    """A patrol is busy while an incident it was sent to is dispatched or on scene, and
    available again once none is (an off-duty patrol stays off duty). Called by the incident
    services after each change of an incident's unit or status, in their transaction."""
    pk = patrol.pk if isinstance(patrol, Patrol) else patrol
    at_work = Incident.objects.filter(
        assigned_patrol_id=pk, status__in=(IncidentStatus.DISPATCHED, IncidentStatus.ON_SCENE)
    ).exists()
    obj = Patrol.objects.select_for_update().get(pk=pk)
    if at_work and obj.status != PatrolStatus.BUSY:
        return patrol_set_status(patrol=obj, status=PatrolStatus.BUSY)
    if not at_work and obj.status == PatrolStatus.BUSY:
        return patrol_set_status(patrol=obj, status=PatrolStatus.AVAILABLE)
    return obj


@transaction.atomic
def patrol_record_position(
    *,
    patrol: Patrol | int,
    location: Point,
    recorded_at: datetime | None = None,
    speed_kmh: float | None = None,
    heading: float | None = None,
    source: str = "koban",
) -> tuple[Patrol, bool]:
    """Append a fix to the history; the latest position moves only for a newer fix.

    Returns (patrol, recorded); a repeated fix (same patrol and time) is not recorded again.
    """
    location = clean_point(location)
    if location is None:
        raise InvalidInput({"location": ["A position needs coordinates."]})
    recorded_at = recorded_at or timezone.now()
    if recorded_at > timezone.now() + timedelta(minutes=5):
        raise InvalidInput({"recorded_at": ["A position cannot be in the future."]})
    pk = patrol.pk if isinstance(patrol, Patrol) else patrol
    obj = Patrol.objects.select_for_update().get(pk=pk)
    try:
        with transaction.atomic():
            PatrolPosition.objects.create(
                patrol=obj,
                location=location,
                recorded_at=recorded_at,
                speed_kmh=speed_kmh,
                heading=heading,
                source=source,
            )
    except IntegrityError:
        return obj, False
    if obj.last_position_at is None or recorded_at >= obj.last_position_at:
        obj.last_position = location
        obj.last_position_at = recorded_at
        obj.save(update_fields=["last_position", "last_position_at", "updated_at"])
        _emit(obj, "patrol.moved")
    return obj, True


# Fields an administrator may change on a patrol; its status goes through patrol_set_status
# (dispatch keeps it), its position only comes from fixes.
_UPDATABLE = ("call_sign", "kind", "area", "vehicle_id", "shift_starts_at", "shift_ends_at")


@transaction.atomic
def patrol_update(
    *, patrol: Patrol | int, actor: Any = None, members: list[Any] | None = None, **changes: Any
) -> Patrol:
    """Change a patrol's description or crew, with its event.

    The change history (PatrolEvent, written by the database) is the patrol's timeline.
    """
    unknown = set(changes) - set(_UPDATABLE)
    if unknown:
        raise InvalidInput({name: ["This field cannot be changed here."] for name in unknown})
    if "kind" in changes and changes["kind"] not in PatrolKind.values:
        raise InvalidInput({"kind": [f"Unknown patrol kind '{changes['kind']}'."]})
    pk = patrol.pk if isinstance(patrol, Patrol) else patrol
    call_sign = changes.get("call_sign")
    if call_sign is not None and (
        not call_sign.strip() or Patrol.objects.filter(call_sign=call_sign).exclude(pk=pk).exists()
    ):
        raise InvalidInput({"call_sign": [f"A patrol with call sign '{call_sign}' exists."]})
    obj = Patrol.objects.select_for_update().get(pk=pk)
    previous_area_id = obj.area_id
    changed = [
        name for name in _UPDATABLE if name in changes and getattr(obj, name) != changes[name]
    ]
    for name in changed:
        setattr(obj, name, changes[name])
    crew_changed = members is not None and {m.pk for m in members} != set(
        obj.members.values_list("id", flat=True)
    )
    if not changed and not crew_changed:
        return obj
    obj.save()
    # A new crew sees the patrol's incidents and work, the old one no longer: read who saw
    # them before, then tell both sides.
    seen = {}
    if crew_changed:
        seen = {key_of(i): (i, item_audiences(i)) for i in items_seen_through_patrol(obj.pk)}
        obj.members.set(members)
    events.emit_patrol(obj, previous_area_id=previous_area_id)
    events.emit_view_changes(seen)
    return obj
