"""Reads for the shift briefing: what a supervisor tells the next shift, in a fixed number of
queries whatever the size of the division (counts and groups are computed in PostgreSQL).

Every read starts from the visibility selectors through `InsightScope`, narrowed to the chosen
parishes (or the whole division) and the shift's window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from .models import FollowUp
from .models.choices import FOLLOWUP_OPEN_STATUSES, ConcernStatus, IncidentStatus, Priority
from .selectors import patrols_visible_to
from .selectors_insight import InsightScope, followups_in_scope, named_sql
from .selectors_repeat_places import repeat_place_proposals_waiting

# Hours (local time) at which shifts start; a force with other shifts sets KOBAN_SHIFT_STARTS.
DEFAULT_SHIFT_STARTS = (0, 8, 16)
LIST_LIMIT = 50
HOT_SPOT_DAYS = 7
# About 330 m by 440 m in Lisbon: a street block or two, small enough to send a patrol to.
HOT_SPOT_CELL_DEGREES = 0.004
HOT_SPOT_LIMIT = 40


def shift_starts() -> tuple[int, ...]:
    return tuple(sorted(getattr(settings, "KOBAN_SHIFT_STARTS", DEFAULT_SHIFT_STARTS)))


def shift_containing(at: datetime) -> tuple[datetime, datetime]:
    """The [start, end) of the shift in force at `at`, in the force's time zone."""
    local = timezone.localtime(at)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [
        timezone.make_aware(
            (midnight + timedelta(days=day)).replace(tzinfo=None) + timedelta(hours=hour)
        )
        for day in (-1, 0, 1)
        for hour in shift_starts()
    ]
    return max(s for s in starts if s <= local), min(s for s in starts if s > local)


def default_briefing_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """From the start of the previous shift to the end of the current one."""
    start, end = shift_containing(now or timezone.now())
    previous_start, _ = shift_containing(start - timedelta(minutes=1))
    return previous_start, end


@dataclass
class Briefing:
    start: datetime
    end: datetime
    counts: dict[str, int]
    changes: list[Any]
    followups_by_officer: list[dict[str, Any]]
    followups: list[FollowUp]
    concerns: list[Any]
    concerns_total: int
    proposals: list[Any]
    patrols: list[Any]
    hot_spots: list[dict[str, Any]]
    hot_spot_cell: float


# New (reported in the window), resolved or escalated (raised to high priority) in the window:
# candidates are a UNION of index-friendly parts (reported_at; the timeline's time index), so
# the cost follows the window, not the history; totals come with the newest rows (window
# functions), in one query.
_CHANGES_SQL = """
WITH scoped AS NOT MATERIALIZED ({scoped}),
moves AS (
    SELECT incident_id,
           bool_or(kind = 'status' AND to_status = %(resolved)s) AS is_resolved,
           bool_or(kind = 'updated' AND data -> 'changed' ->> 'priority' = %(high)s)
               AS is_escalated
    FROM incidents_timelineentry
    WHERE created_at >= %(start)s AND created_at < %(end)s AND incident_id IS NOT NULL
      AND kind IN ('status', 'updated')
    GROUP BY incident_id
),
candidates AS (
    SELECT id FROM scoped WHERE reported_at >= %(start)s AND reported_at < %(end)s
    UNION
    SELECT incident_id FROM moves WHERE is_resolved OR is_escalated
),
flagged AS (
    SELECT s.id, s.reported_at,
           s.reported_at >= %(start)s AND s.reported_at < %(end)s AS is_new,
           COALESCE(m.is_resolved, false) AS is_resolved,
           COALESCE(m.is_escalated, false) AS is_escalated
    FROM candidates c JOIN scoped s ON s.id = c.id LEFT JOIN moves m ON m.incident_id = s.id
)
SELECT id, is_new, is_resolved, is_escalated,
       COUNT(*) FILTER (WHERE is_new) OVER (), COUNT(*) FILTER (WHERE is_escalated) OVER (),
       COUNT(*) FILTER (WHERE is_resolved) OVER ()
FROM flagged ORDER BY reported_at DESC, id DESC LIMIT %(limit)s
"""


def _changes(user: Any, scope: InsightScope) -> tuple[dict[str, int], list[Any]]:
    """The counts of incidents new, escalated and resolved in the window, and the newest of
    them (LIST_LIMIT) with their flags. Two queries."""
    scoped_sql, params = named_sql(
        scope.incidents(user).order_by().values("id", "reported_at"), "s"
    )
    params.update(
        resolved=IncidentStatus.RESOLVED,
        high=Priority.HIGH,
        start=scope.start,
        end=scope.end,
        limit=LIST_LIMIT,
    )
    with connection.cursor() as cursor:
        cursor.execute(_CHANGES_SQL.format(scoped=scoped_sql), params)
        rows = cursor.fetchall()
    counts = {"new": 0, "escalated": 0, "resolved": 0}
    if rows:
        counts = dict(zip(("new", "escalated", "resolved"), rows[0][4:], strict=True))
    flags = {row[0]: row[1:4] for row in rows}
    incidents = (
        scope.incidents(user)
        .filter(id__in=list(flags))
        .select_related("category")
        .annotate(area_name=F("area__name"))
        .only("id", "reference", "title", "status", "priority", "reported_at", "category")
        .order_by("-reported_at", "-id")
    )
    listed = []
    for incident in incidents:
        incident.is_new, incident.is_resolved, incident.is_escalated = flags[incident.id]
        listed.append(incident)
    return counts, listed


_HOT_SPOTS_SQL = """
SELECT ST_X(cell), ST_Y(cell), n FROM (
    SELECT ST_SnapToGrid(s.location, %s) AS cell, COUNT(*) AS n FROM ({recent}) s GROUP BY 1
) cells ORDER BY n DESC, 1, 2 LIMIT %s
"""


def _hot_spots(user: Any, scope: InsightScope) -> list[dict[str, Any]]:
    """Grid cells with the most incidents in the last seven days before the window's end."""
    recent = (
        scope.incidents(user)
        .filter(
            reported_at__gte=scope.end - timedelta(days=HOT_SPOT_DAYS),
            reported_at__lt=scope.end,
            location__isnull=False,
        )
        .order_by()
        .values("location")
    )
    inner, params = recent.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            _HOT_SPOTS_SQL.format(recent=inner), [HOT_SPOT_CELL_DEGREES, *params, HOT_SPOT_LIMIT]
        )
        rows = cursor.fetchall()
    half = HOT_SPOT_CELL_DEGREES / 2
    return [
        {"bounds": [[y - half, x - half], [y + half, x + half]], "lon": x, "lat": y, "count": n}
        for x, y, n in rows
    ]


def shift_briefing(
    user: Any,
    *,
    areas: tuple[int, ...] = (),
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> Briefing:
    """The briefing for a set of areas (empty: all the user sees) and a shift window."""
    now = now or timezone.now()
    if start is None or end is None:
        default_start, default_end = default_briefing_window(now)
        start, end = start or default_start, end or default_end
    scope = InsightScope(start=start, end=end, areas=areas)

    counts, change_rows = _changes(user, scope)

    due = followups_in_scope(user, scope).filter(status__in=FOLLOWUP_OPEN_STATUSES, due_at__lt=end)
    by_officer = list(
        due.order_by()
        .values(
            "assignee_id",
            "assignee__first_name",
            "assignee__last_name",
            "assignee__username",
            "assignee_patrol__call_sign",
        )
        .annotate(
            overdue=Count("id", filter=Q(due_at__lt=now)),
            due=Count("id", filter=Q(due_at__gte=now)),
        )
        .order_by("assignee__last_name", "assignee__first_name", "assignee_patrol__call_sign")
    )
    for row in by_officer:
        name = f"{row['assignee__first_name']} {row['assignee__last_name']}".strip()
        row["name"] = name or row["assignee__username"] or row["assignee_patrol__call_sign"]
    followups = list(
        due.select_related("incident", "concern", "assignee", "assignee_patrol").order_by(
            "assignee__last_name", "assignee__first_name", "due_at", "id"
        )[: LIST_LIMIT * 2]
    )

    next_step = FollowUp.objects.filter(
        concern=OuterRef("pk"), status__in=FOLLOWUP_OPEN_STATUSES
    ).order_by("due_at", "id")
    open_concerns = scope.concerns(user).exclude(status=ConcernStatus.CLOSED)
    concerns = list(
        open_concerns.select_related("category")
        .annotate(
            area_name=F("area__name"),
            next_step=Subquery(next_step.values("title")[:1]),
            next_step_due=Subquery(next_step.values("due_at")[:1]),
        )
        .defer("description", "content_hash")
        .order_by(F("next_review_on").asc(nulls_last=True), "id")[:LIST_LIMIT]
    )

    proposals = list(repeat_place_proposals_waiting(user=user, areas=areas or None))

    patrols = patrols_visible_to(user)
    if areas:
        patrols = patrols.filter(area_id__in=scope.area_ids)
    patrol_rows = list(
        patrols.annotate(area_name=F("area__name"))
        .prefetch_related(
            Prefetch(
                "members",
                queryset=get_user_model().objects.only("id", "username", "first_name", "last_name"),
            )
        )
        .order_by(F("area__name").asc(nulls_last=True), "call_sign")
    )

    return Briefing(
        start=start,
        end=end,
        counts=counts,
        changes=change_rows,
        followups_by_officer=by_officer,
        followups=followups,
        concerns=concerns,
        concerns_total=open_concerns.count(),
        proposals=proposals,
        patrols=patrol_rows,
        hot_spots=_hot_spots(user, scope),
        hot_spot_cell=HOT_SPOT_CELL_DEGREES,
    )
