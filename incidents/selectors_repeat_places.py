"""Reads of repeat-place proposals and of a concern's before/after assessment.

Proposals are a supervisor's tool: officers, integrators and auditors see none (the API answers
them 403), so every read here starts from `repeat_place_proposals_visible_to`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Prefetch, QuerySet
from django.utils import timezone

from . import roles
from .models import Incident, NeighbourhoodConcern, RepeatPlaceDecision, RepeatPlaceProposal
from .selectors import area_ids_with_descendants


def may_decide_repeat_places(user: Any) -> bool:
    """Supervisors and administrators review proposals; a person always decides."""
    return roles.sees_everything(user)


def repeat_place_proposals_visible_to(user: Any) -> QuerySet[RepeatPlaceProposal]:
    qs = RepeatPlaceProposal.objects.all()
    return qs if may_decide_repeat_places(user) else qs.none()


def repeat_place_proposals_for_list(
    user: Any,
    *,
    status: str | None = RepeatPlaceProposal.Status.PROPOSED,
    areas: Iterable[int] | None = None,
) -> QuerySet[RepeatPlaceProposal]:
    """Visible proposals with their category, area name and member ids, in a fixed number of
    queries. `areas` (with their sub-areas) narrows to a division or a set of parishes."""
    qs = repeat_place_proposals_visible_to(user)
    if status:
        qs = qs.filter(status=status)
    if areas is not None:
        qs = qs.filter(area_id__in=area_ids_with_descendants(areas))
    return (
        qs.select_related("category", "concern")
        .annotate(area_name=F("area__name"))
        .prefetch_related(
            Prefetch("incidents", queryset=Incident.objects.only("id", "reference").order_by("id"))
        )
        .order_by("-last_reported_at", "-id")
    )


def repeat_place_proposals_waiting(
    *, user: Any, areas: Iterable[int] | None = None
) -> QuerySet[RepeatPlaceProposal]:
    """Proposals waiting for a supervisor's decision (e.g. for the shift briefing)."""
    return repeat_place_proposals_for_list(
        user, status=RepeatPlaceProposal.Status.PROPOSED, areas=areas
    )


def repeat_place_proposal_for_detail(user: Any) -> QuerySet[RepeatPlaceProposal]:
    """Proposals with their decision history (who, when, why) prefetched."""
    return repeat_place_proposals_for_list(user, status=None).prefetch_related(
        Prefetch("decisions", queryset=RepeatPlaceDecision.objects.select_related("actor"))
    )


def repeat_place_proposals_count_waiting(user: Any) -> int:
    return (
        repeat_place_proposals_visible_to(user)
        .filter(status=RepeatPlaceProposal.Status.PROPOSED)
        .aggregate(n=Count("id"))["n"]
    )


# --- Assessment ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """Incidents of the concern's category in its place, in two equal periods around the start
    of the response. `days` is the length of each period."""

    response_started_at: datetime | None
    days: int
    before_from: datetime | None
    after_to: datetime | None
    before: int
    after: int

    @property
    def change_percent(self) -> int | None:
        if self.response_started_at is None or self.before == 0:
            return None
        return round((self.after - self.before) * 100 / self.before)


# The concern's place: its polygon, else a circle of KOBAN_CONCERN_PLACE_RADIUS_M around its
# point, measured in metres on the spheroid (geography), so no projection is assumed.
CONCERN_PLACE_SQL = """
COALESCE(
    c.place,
    ST_Buffer(c.location::geography, %(radius)s)::geometry
)
"""

_ASSESSMENT_SQL = f"""
SELECT
    count(*) FILTER (WHERE i.reported_at >= %(before_from)s AND i.reported_at < %(start)s),
    count(*) FILTER (WHERE i.reported_at >= %(start)s AND i.reported_at < %(after_to)s)
FROM incidents_neighbourhoodconcern c
JOIN incidents_incident i
  ON i.category_id = c.category_id
 AND i.location IS NOT NULL
 AND ST_Covers({CONCERN_PLACE_SQL}, i.location)
WHERE c.id = %(concern)s
  AND i.status <> 'duplicate'
  AND i.reported_at >= %(before_from)s AND i.reported_at < %(after_to)s
"""  # noqa: S608  (constant fragments; values are parameters)


def concern_assessment(concern: NeighbourhoodConcern, *, now: datetime | None = None) -> Assessment:
    """Before/after counts. The 'after' period runs from the start of the response to now
    (at most KOBAN_ASSESSMENT_MAX_DAYS), and the 'before' period is as long, just before it."""
    started = concern.response_started_at
    if started is None or (concern.place is None and concern.location is None):
        return Assessment(started, 0, None, None, 0, 0)
    now = now or timezone.now()
    span = max(now - started, timedelta(days=1))
    span = min(span, timedelta(days=settings.KOBAN_ASSESSMENT_MAX_DAYS))
    before_from, after_to = started - span, started + span
    with connection.cursor() as cursor:
        cursor.execute(
            _ASSESSMENT_SQL,
            {
                "concern": concern.pk,
                "radius": settings.KOBAN_CONCERN_PLACE_RADIUS_M,
                "start": started,
                "before_from": before_from,
                "after_to": after_to,
            },
        )
        before, after = cursor.fetchone()
    return Assessment(started, span.days or 1, before_from, after_to, before, after)
