"""Reads about who works on what: the nearest available patrols for a dispatch, and what
"assigned to me" means (directly, or to a patrol I crew) on every list that filters by it.

Kept apart from selectors.py (the visibility rule), which is at its size limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.gis.db.models import PointField
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from .models import FollowUp, Incident, Patrol
from .models.choices import PatrolStatus

# --- "Assigned to me" ---------------------------------------------------------------------------


def crews(user_id: int) -> QuerySet[Patrol]:
    """The patrols a user is a member of (a subquery, not a list)."""
    return Patrol.objects.filter(members=user_id)


def incidents_assigned_to(qs: QuerySet[Incident], user_id: int) -> QuerySet[Incident]:
    """Incidents sent to this user or to a patrol they crew, or with a follow-up for either."""
    theirs = FollowUp.objects.filter(incident=OuterRef("pk")).filter(
        Q(assignee_id=user_id) | Q(assignee_patrol__in=crews(user_id))
    )
    return qs.filter(
        Q(assigned_officer_id=user_id) | Q(assigned_patrol__in=crews(user_id)) | Exists(theirs)
    )


def followups_assigned_to(qs: QuerySet[FollowUp], user_id: int) -> QuerySet[FollowUp]:
    """Follow-ups for this user or for a patrol they crew."""
    return qs.filter(Q(assignee_id=user_id) | Q(assignee_patrol__in=crews(user_id)))


# --- Dispatch -----------------------------------------------------------------------------------


def stale_before(now: datetime | None = None) -> datetime:
    """Positions recorded before this instant are stale (KOBAN_POSITION_STALE_MINUTES)."""
    return (now or timezone.now()) - timedelta(minutes=settings.KOBAN_POSITION_STALE_MINUTES)


def patrols_nearest(
    point: Point | None, *, limit: int | None = None, now: datetime | None = None
) -> QuerySet[Patrol]:
    """Available patrols for a dispatch to `point`: fresh positions first, nearest first, then
    stale positions (nearest first), then patrols that never reported a position.

    Annotates `distance_m` (metres on the spheroid, PostGIS geography; None without a position
    or without a point) and `stale`; the order is decided in SQL.
    """
    limit = limit or settings.KOBAN_DISPATCH_SUGGESTIONS
    qs = (
        Patrol.objects.filter(status=PatrolStatus.AVAILABLE)
        .prefetch_related("members")
        .annotate(
            area_name=F("area__name"),
            stale=Case(
                When(last_position_at__gte=stale_before(now), then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            ),
        )
    )
    if point is None:
        qs = qs.annotate(distance_m=Value(None, output_field=FloatField()))
        return qs.order_by("stale", "call_sign")[:limit]
    geography = PointField(geography=True, srid=4326)
    qs = qs.annotate(distance_m=Distance(Cast("last_position", geography), point))
    return qs.order_by("stale", F("distance_m").asc(nulls_last=True), "call_sign")[:limit]


def nearest_rows(patrols: Any, now: datetime | None = None) -> list[dict[str, Any]]:
    """Plain rows for the API: distance in metres and the position's age in seconds."""
    now = now or timezone.now()
    rows = []
    for patrol in patrols:
        distance = getattr(patrol, "distance_m", None)
        at = patrol.last_position_at
        rows.append(
            {
                "patrol": patrol,
                "distance_m": round(distance.m if hasattr(distance, "m") else distance)
                if distance is not None
                else None,
                "position_at": at,
                "position_age_s": int((now - at).total_seconds()) if at else None,
                "stale": bool(patrol.stale),
            }
        )
    return rows
