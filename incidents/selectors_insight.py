"""Reads for the supervisors' closure-quality charts: every figure is computed in PostgreSQL.

Each read starts from the visibility selectors, so the charts show what the user may see and
nothing else; the filters are the map's (time window, parishes, categories, priorities).
Durations come from the timeline (the moment a status was reached), in hours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from .models import FollowUp, Incident, NeighbourhoodConcern
from .models.choices import (
    FOLLOWUP_OPEN_STATUSES,
    ConcernStatus,
    FollowUpStatus,
    IncidentStatus,
)
from .selectors import (
    area_ids_with_descendants,
    concerns_visible_to,
    followups_visible_to,
    incidents_visible_to,
)

# The milestones of a response, in order: (key, status reached).
MILESTONES = (
    ("acknowledged", IncidentStatus.ACKNOWLEDGED),
    ("on_scene", IncidentStatus.ON_SCENE),
    ("resolved", IncidentStatus.RESOLVED),
)
BREAKDOWNS = ("week", "area", "category", "priority")


@dataclass(frozen=True)
class InsightScope:
    """The map's filters, parsed: a window [start, end) and optional parishes, categories and
    priorities. `start` None means "any time"."""

    start: datetime | None
    end: datetime
    areas: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    area_ids: frozenset[int] = field(init=False)

    def __post_init__(self) -> None:
        ids = area_ids_with_descendants(self.areas) if self.areas else set()
        object.__setattr__(self, "area_ids", frozenset(ids))

    def incidents(self, user: Any) -> QuerySet[Incident]:
        """Visible incidents in the parishes, categories and priorities (any time)."""
        qs = incidents_visible_to(user)
        if self.areas:
            qs = qs.filter(area_id__in=self.area_ids)
        if self.categories:
            qs = qs.filter(category__code__in=self.categories)
        if self.priorities:
            qs = qs.filter(priority__in=self.priorities)
        return qs

    def concerns(self, user: Any) -> QuerySet[NeighbourhoodConcern]:
        qs = concerns_visible_to(user)
        if self.areas:
            qs = qs.filter(area_id__in=self.area_ids)
        if self.categories:
            qs = qs.filter(category__code__in=self.categories)
        if self.priorities:
            qs = qs.filter(priority__in=self.priorities)
        return qs

    def in_window(self, qs: QuerySet, field_name: str) -> QuerySet:
        qs = qs.filter(**{f"{field_name}__lt": self.end})
        return qs.filter(**{f"{field_name}__gte": self.start}) if self.start else qs


# --- Response times: median and p90 by week, parish, category and priority ------------------------

# One pass: the first acknowledgement and arrival, the last resolution (an item reopened counts
# until it really was resolved), then percentile_cont over every grouping set at once.
_RESPONSE_SQL = """
WITH scoped AS ({scoped}),
reached AS (
    SELECT s.id, s.reported_at, s.area_id, s.category_id, s.priority,
           MIN(t.created_at) FILTER (WHERE t.to_status = %s) AS acknowledged_at,
           MIN(t.created_at) FILTER (WHERE t.to_status = %s) AS on_scene_at,
           CASE WHEN s.status IN (%s, %s)
                THEN MAX(t.created_at) FILTER (WHERE t.to_status = %s) END AS resolved_at
    FROM scoped s
    LEFT JOIN incidents_timelineentry t
           ON t.incident_id = s.id AND t.kind = 'status' AND t.to_status IN (%s, %s, %s)
          AND t.created_at >= %s  -- moves follow the report: the time index narrows the join
    GROUP BY s.id, s.reported_at, s.area_id, s.category_id, s.priority, s.status
),
hours AS (
    SELECT (date_trunc('week', reported_at AT TIME ZONE %s))::date AS week,
           area_id, category_id, priority,
           EXTRACT(EPOCH FROM acknowledged_at - reported_at) / 3600.0 AS acknowledged,
           EXTRACT(EPOCH FROM on_scene_at - reported_at) / 3600.0 AS on_scene,
           EXTRACT(EPOCH FROM resolved_at - reported_at) / 3600.0 AS resolved
    FROM reached
)
SELECT CASE WHEN GROUPING(week) = 0 THEN 'week'
            WHEN GROUPING(area_id) = 0 THEN 'area'
            WHEN GROUPING(category_id) = 0 THEN 'category'
            WHEN GROUPING(priority) = 0 THEN 'priority'
            ELSE 'all' END AS breakdown,
       week, (SELECT name FROM incidents_area WHERE id = area_id),
       (SELECT code FROM incidents_category WHERE id = category_id), priority,
       COUNT(*) AS incidents,
       COUNT(acknowledged), percentile_cont(0.5) WITHIN GROUP (ORDER BY acknowledged),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY acknowledged),
       COUNT(on_scene), percentile_cont(0.5) WITHIN GROUP (ORDER BY on_scene),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY on_scene),
       COUNT(resolved), percentile_cont(0.5) WITHIN GROUP (ORDER BY resolved),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY resolved)
FROM hours
GROUP BY GROUPING SETS ((week), (area_id), (category_id), (priority), ())
"""


def _hours(value: float | None) -> float | None:
    return None if value is None else round(float(value), 2)


def response_times(user: Any, scope: InsightScope) -> dict[str, list[dict[str, Any]]]:
    """Median and p90 hours from report to each milestone, for the whole scope and by week
    (its Monday), parish (name), category (code) and priority. One query."""
    scoped = (
        scope.in_window(scope.incidents(user), "reported_at")
        .order_by()
        .values("id", "reported_at", "area_id", "category_id", "priority", "status")
    )
    inner, inner_params = scoped.query.sql_with_params()
    ack, scene, resolved = (status for _, status in MILESTONES)
    params = [
        *inner_params,
        ack,
        scene,
        IncidentStatus.RESOLVED,
        IncidentStatus.CLOSED,
        resolved,
        ack,
        scene,
        resolved,
        scope.start or datetime.min.replace(tzinfo=UTC),
        settings.TIME_ZONE,
    ]
    with connection.cursor() as cursor:
        cursor.execute(_RESPONSE_SQL.format(scoped=inner), params)
        rows = cursor.fetchall()
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in (*BREAKDOWNS, "all")}
    for breakdown, week, area_name, category_code, priority, count, *figures in rows:
        key = {
            "week": week.isoformat() if week else None,
            "area": area_name,
            "category": category_code,
            "priority": priority,
            "all": None,
        }[breakdown]
        row: dict[str, Any] = {"key": key, "incidents": count}
        for index, (name, _) in enumerate(MILESTONES):
            reached, median, p90 = figures[index * 3 : index * 3 + 3]
            row[name] = {"count": reached, "median": _hours(median), "p90": _hours(p90)}
        out[breakdown].append(row)
    for rows_of in out.values():
        rows_of.sort(key=lambda r: (r["key"] is None, str(r["key"])))
    return out


# --- Follow-ups on time, late, overdue; items reopened --------------------------------------------


def followups_in_scope(user: Any, scope: InsightScope) -> QuerySet[FollowUp]:
    """Visible follow-ups whose item (incident or concern) is in the scope's parishes,
    categories and priorities: joins, not IN-subqueries, so it stays cheap at any size."""
    qs = followups_visible_to(user)
    if scope.areas:
        ids = scope.area_ids
        qs = qs.filter(Q(incident__area_id__in=ids) | Q(concern__area_id__in=ids))
    if scope.categories:
        codes = scope.categories
        qs = qs.filter(Q(incident__category__code__in=codes) | Q(concern__category__code__in=codes))
    if scope.priorities:
        values = scope.priorities
        qs = qs.filter(Q(incident__priority__in=values) | Q(concern__priority__in=values))
    return qs


def followups_timeliness(
    user: Any, scope: InsightScope, now: datetime | None = None
) -> list[dict[str, Any]]:
    """By week of the due date: done on time, done late, and still open past due. One query."""
    now = now or timezone.now()
    done = Q(status=FollowUpStatus.DONE)
    rows = (
        scope.in_window(followups_in_scope(user, scope), "due_at")
        .annotate(week=TruncWeek("due_at"))
        .order_by()
        .values("week")
        .annotate(
            on_time=Count("id", filter=done & Q(completed_at__lte=F("due_at"))),
            late=Count("id", filter=done & Q(completed_at__gt=F("due_at"))),
            overdue=Count("id", filter=Q(status__in=FOLLOWUP_OPEN_STATUSES, due_at__lt=now)),
        )
        .order_by("week")
    )
    return [
        {
            "week": timezone.localtime(r["week"]).date().isoformat(),
            "on_time": r["on_time"],
            "late": r["late"],
            "overdue": r["overdue"],
        }
        for r in rows
    ]


# Status moves in the window, joined to the scope's incidents and concerns (the timeline's
# time index first; a hash join to the scope, never a per-row subquery).
_REOPENED_SQL = """
WITH incidents AS ({incidents}), concerns AS ({concerns}),
moves AS (
    SELECT t.created_at,
           t.from_status = %(resolved)s AND t.to_status = %(acknowledged)s AS incident_reopened,
           t.to_status = %(resolved)s AS incident_resolved, false AS concern_reopened
    FROM incidents_timelineentry t JOIN incidents s ON s.id = t.incident_id
    WHERE t.kind = 'status' AND t.created_at >= %(start)s AND t.created_at < %(end)s
      AND (t.to_status = %(resolved)s
           OR (t.from_status = %(resolved)s AND t.to_status = %(acknowledged)s))
    UNION ALL
    SELECT t.created_at, false, false, true
    FROM incidents_timelineentry t JOIN concerns c ON c.id = t.concern_id
    WHERE t.kind = 'status' AND t.created_at >= %(start)s AND t.created_at < %(end)s
      AND t.from_status = %(closed)s AND t.to_status = %(open)s
)
SELECT (date_trunc('week', created_at AT TIME ZONE %(tz)s))::date AS week,
       COUNT(*) FILTER (WHERE incident_reopened), COUNT(*) FILTER (WHERE incident_resolved),
       COUNT(*) FILTER (WHERE concern_reopened)
FROM moves GROUP BY 1 ORDER BY 1
"""


def named_sql(qs: QuerySet, prefix: str) -> tuple[str, dict[str, Any]]:
    """A queryset's SQL with its positional parameters renamed `<prefix>0`, `<prefix>1`...,
    to embed it in a query with named parameters."""
    sql, params = qs.query.sql_with_params()
    parts = sql.split("%s")
    out = parts[0] + "".join(f"%({prefix}{i})s{part}" for i, part in enumerate(parts[1:]))
    return out, {f"{prefix}{i}": value for i, value in enumerate(params)}


def reopened(user: Any, scope: InsightScope) -> list[dict[str, Any]]:
    """By week of the event: incidents reopened after resolution (and how many resolutions),
    concerns reopened after closing. One query."""
    incidents_sql, incident_params = named_sql(scope.incidents(user).order_by().values("id"), "i")
    concerns_sql, concern_params = named_sql(scope.concerns(user).order_by().values("id"), "c")
    params = {
        **incident_params,
        **concern_params,
        "resolved": IncidentStatus.RESOLVED,
        "acknowledged": IncidentStatus.ACKNOWLEDGED,
        "closed": ConcernStatus.CLOSED,
        "open": ConcernStatus.OPEN,
        "start": scope.start or datetime.min.replace(tzinfo=UTC),
        "end": scope.end,
        "tz": settings.TIME_ZONE,
    }
    sql = _REOPENED_SQL.format(incidents=incidents_sql, concerns=concerns_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        {
            "week": week.isoformat(),
            "incidents_reopened": reopened_count,
            "incidents_resolved": resolved_count,
            "concerns_reopened": concerns_count,
        }
        for week, reopened_count, resolved_count, concerns_count in rows
    ]


def closure_quality(
    user: Any, scope: InsightScope, now: datetime | None = None, only: str | None = None
) -> dict[str, Any]:
    """Everything the closure-quality page draws (one query per chart), or only one chart's
    figures (`only`: response_times, followups or reopened), e.g. for a CSV export."""
    reads = {
        "response_times": lambda: response_times(user, scope),
        "followups": lambda: followups_timeliness(user, scope, now),
        "reopened": lambda: reopened(user, scope),
    }
    return {name: read() for name, read in reads.items() if only in (None, name)}
