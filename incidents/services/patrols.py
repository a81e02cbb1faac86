"""Patrol writes: create, status, positions (many per minute from trackers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events
from ..errors import InvalidInput
from ..models import Area, Patrol, PatrolPosition
from ..models.choices import PatrolKind, PatrolStatus
from ._common import clean_point


def _emit(patrol: Patrol, kind: str = "patrol.upserted") -> None:
    events.emit(
        kind,
        entity_type="patrol",
        entity_id=patrol.id,
        area_ids=[patrol.area_id],
        user_ids=[],
        payload=events.patrol_payload(patrol),
    )


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
