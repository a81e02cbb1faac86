"""Reads. The visibility rule lives here, once: every list, detail, filter, export, count and
live event goes through `*_visible_to` / `event_visible_to`.

Rule: supervisors and administrators see everything; an officer sees the items of their areas
(and those areas' sub-areas) and the items assigned to them or to their patrol; integrators and
anonymous users see no operational items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point, Polygon
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from . import roles
from .models import (
    Area,
    FollowUp,
    Incident,
    NeighbourhoodConcern,
    OutboxEvent,
    Patrol,
    PoliceStation,
    TimelineEntry,
)
from .models.choices import FOLLOWUP_OPEN_STATUSES

# --- Areas ---------------------------------------------------------------------------------------

_KIND_RANK = {Area.Kind.SECTOR: 0, Area.Kind.PARISH: 1, Area.Kind.MUNICIPALITY: 2}


def area_containing(point: Point | None) -> Area | None:
    """The most specific area (sector, then parish, then municipality) covering the point."""
    if point is None:
        return None
    candidates = list(Area.objects.filter(geom__covers=point).only("id", "kind", "code"))
    if not candidates:
        return None
    return min(candidates, key=lambda a: (_KIND_RANK.get(a.kind, 9), a.id))


def user_area_ids(user: Any) -> set[int]:
    """The areas an officer works in, with all their sub-areas."""
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_koban_area_ids", None)
    if cached is not None:
        return cached
    ids = set(Area.objects.filter(officers__user=user).values_list("id", flat=True))
    frontier = set(ids)
    while frontier:
        frontier = set(Area.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        frontier -= ids
        ids |= frontier
    user._koban_area_ids = ids
    return ids


def user_patrol_ids(user: Any) -> set[int]:
    if not user or not user.is_authenticated:
        return set()
    return set(Patrol.objects.filter(members=user).values_list("id", flat=True))


# --- Visibility ----------------------------------------------------------------------------------


def incidents_visible_to(user: Any) -> QuerySet[Incident]:
    qs = Incident.objects.all()
    if roles.sees_everything(user):
        return qs
    if not roles.has_role(user, roles.OFFICER):
        return qs.none()
    mine = FollowUp.objects.filter(incident=OuterRef("pk")).filter(
        Q(assignee=user) | Q(assignee_patrol__members=user)
    )
    return qs.filter(
        Q(area_id__in=user_area_ids(user))
        | Q(assigned_officer=user)
        | Q(assigned_patrol__in=user_patrol_ids(user))
        | Exists(mine)
    )


def concerns_visible_to(user: Any) -> QuerySet[NeighbourhoodConcern]:
    qs = NeighbourhoodConcern.objects.all()
    if roles.sees_everything(user):
        return qs
    if not roles.has_role(user, roles.OFFICER):
        return qs.none()
    mine = FollowUp.objects.filter(concern=OuterRef("pk")).filter(
        Q(assignee=user) | Q(assignee_patrol__members=user)
    )
    return qs.filter(Q(area_id__in=user_area_ids(user)) | Q(owner=user) | Exists(mine))


def followups_visible_to(user: Any) -> QuerySet[FollowUp]:
    qs = FollowUp.objects.all()
    if roles.sees_everything(user):
        return qs
    if not roles.has_role(user, roles.OFFICER):
        return qs.none()
    areas = user_area_ids(user)
    return qs.filter(
        Q(assignee=user)
        | Q(assignee_patrol__members=user)
        | Q(incident__area_id__in=areas)
        | Q(concern__area_id__in=areas)
    ).distinct()


def patrols_visible_to(user: Any) -> QuerySet[Patrol]:
    """Every operational user sees every patrol: knowing who is near is a safety matter."""
    qs = Patrol.objects.all()
    return qs if roles.is_operational(user) else qs.none()


def stations_visible_to(user: Any) -> QuerySet[PoliceStation]:
    qs = PoliceStation.objects.all()
    return qs if roles.is_operational(user) else qs.none()


def can_see_personal_data(user: Any, incident: Incident) -> bool:
    """Reporter contacts: supervisors, administrators and the officer the item is assigned to."""
    if roles.sees_everything(user):
        return True
    if not roles.has_role(user, roles.OFFICER):
        return False
    if incident.assigned_officer_id == user.id:
        return True
    if incident.assigned_patrol_id and incident.assigned_patrol_id in user_patrol_ids(user):
        return True
    return incident.followups.filter(
        Q(assignee=user) | Q(assignee_patrol__members=user), status__in=FOLLOWUP_OPEN_STATUSES
    ).exists()


def event_visible_to(user: Any, event: OutboxEvent | dict[str, Any]) -> bool:
    """The live-feed form of the rule, decided from the event's areas and users alone."""
    if isinstance(event, dict):
        kind, area_ids, user_ids = event["kind"], event["area_ids"], event["user_ids"]
    else:
        kind, area_ids, user_ids = event.kind, event.area_ids, event.user_ids
    if roles.sees_everything(user):
        return True
    if not roles.has_role(user, roles.OFFICER):
        return False
    if kind.startswith(("patrol.", "station.")):
        return True
    if user.id in user_ids:
        return True
    return bool(set(area_ids) & user_area_ids(user))


# --- Reads used by pages and the API --------------------------------------------------------------


def incidents_in_bbox(qs: QuerySet[Incident], bbox: tuple[float, float, float, float]):
    """Viewport filter with the bbox operator on an SRID-carrying polygon, so GiST is used."""
    poly = Polygon.from_bbox(bbox)
    poly.srid = 4326
    return qs.filter(location__bboverlaps=poly)


def followups_overdue(qs: QuerySet[FollowUp], now: datetime | None = None) -> QuerySet[FollowUp]:
    return qs.filter(status__in=FOLLOWUP_OPEN_STATUSES, due_at__lt=now or timezone.now())


def followups_for_user(user: Any) -> QuerySet[FollowUp]:
    """'My work': what is assigned to the user or their patrol, open first, soonest due."""
    return (
        FollowUp.objects.filter(Q(assignee=user) | Q(assignee_patrol__members=user))
        .distinct()
        .select_related("incident", "concern", "assignee", "assignee_patrol")
        .order_by("due_at", "id")
    )


def timeline_for(*, incident: Incident | None = None, concern: NeighbourhoodConcern | None = None):
    qs = TimelineEntry.objects.select_related("actor")
    return qs.filter(incident=incident) if incident else qs.filter(concern=concern)


def events_after(sequence: int, limit: int = 1000) -> QuerySet[OutboxEvent]:
    return OutboxEvent.objects.filter(id__gt=sequence).order_by("id")[:limit]


def position_is_stale(at: datetime | None, now: datetime | None = None) -> bool:
    if at is None:
        return True
    age = (now or timezone.now()) - at
    return age.total_seconds() > settings.KOBAN_POSITION_STALE_MINUTES * 60
