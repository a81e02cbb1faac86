"""Reads of the resident loop, through the follow-up visibility rule (incidents.selectors), and
the residents' feedback scores the supervisors' insight pages show (composed by dashboard.insight,
so the insight selectors in incidents never import this app)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Avg, Count, Q, QuerySet

from incidents import selectors
from incidents.models import FollowUp, NeighbourhoodConcern
from incidents.selectors_insight import InsightScope

from .models import ResidentFeedback, ResidentMessage


def message_for_followup(user: Any, followup_pk: int) -> ResidentMessage | None:
    """The message of a follow-up this user sees (with its answer, if any), or None."""
    return (
        ResidentMessage.objects.filter(
            followup__in=selectors.followups_visible_to(user).filter(pk=followup_pk)
        )
        .select_related("feedback", "sent_by", "edited_by")
        .first()
    )


def followup_for_message_work(user: Any, followup_pk: int) -> FollowUp | None:
    return selectors.followups_visible_to(user).filter(pk=followup_pk).first()


def feedback_visible_to(user: Any) -> QuerySet[ResidentFeedback]:
    """Answers on follow-ups this user sees, newest first, with what a list shows joined."""
    return (
        ResidentFeedback.objects.filter(followup__in=selectors.followups_visible_to(user))
        .select_related("followup", "followup__incident", "followup__incident__concern")
        .order_by("-answered_at", "-id")
    )


def feedback_for_concern(user: Any, concern: NeighbourhoodConcern) -> QuerySet[ResidentFeedback]:
    """Answers about the concern: on its own follow-ups and on those of its incidents."""
    return feedback_visible_to(user).filter(
        Q(followup__concern=concern) | Q(followup__incident__concern=concern)
    )


# --- Residents' feedback scores for the closure-quality charts and the shift briefing -----------

# A 4 or a 5 to "was the problem solved?" counts as solved.
SOLVED_MIN_SCORE = 4
FEEDBACK_BREAKDOWNS = ("week", "area", "category", "priority")

# The scope's answers (by the incident the message was about), then every grouping at once.
_FEEDBACK_SQL = """
WITH scoped(answered_at, score, area_id, category_id, priority) AS ({scoped}),
answers AS (
    SELECT (date_trunc('week', answered_at AT TIME ZONE %s))::date AS week,
           area_id, category_id, priority, score
    FROM scoped
)
SELECT CASE WHEN GROUPING(week) = 0 THEN 'week'
            WHEN GROUPING(area_id) = 0 THEN 'area'
            WHEN GROUPING(category_id) = 0 THEN 'category'
            WHEN GROUPING(priority) = 0 THEN 'priority'
            ELSE 'all' END AS breakdown,
       week, (SELECT name FROM incidents_area WHERE id = area_id),
       (SELECT code FROM incidents_category WHERE id = category_id), priority,
       COUNT(*), AVG(score), COUNT(*) FILTER (WHERE score >= %s)
FROM answers
GROUP BY GROUPING SETS ((week), (area_id), (category_id), (priority), ())
"""


def feedback_in_scope(user: Any, scope: InsightScope) -> QuerySet[ResidentFeedback]:
    """Answers on follow-ups this user sees, about incidents in the scope's parishes,
    categories and priorities, given in the scope's window."""
    qs = ResidentFeedback.objects.filter(
        followup__in=selectors.followups_visible_to(user),
        message__incident__in=scope.incidents(user),
    )
    return scope.in_window(qs, "answered_at")


def _scores(answers: int, mean: Any, solved: int) -> dict[str, Any]:
    return {
        "answers": answers,
        "mean_score": None if mean is None else round(float(mean), 2),
        "solved": solved,
        "solved_percent": round(100.0 * solved / answers, 1) if answers else None,
    }


def feedback_scores(user: Any, scope: InsightScope) -> dict[str, list[dict[str, Any]]]:
    """Answers, mean score and share solved (4-5) for the whole scope and by week of the answer
    (its Monday), parish (name), category (code) and priority of the incident. One query."""
    scoped = (
        feedback_in_scope(user, scope)
        .order_by()
        .values(
            "answered_at",
            "score",
            "message__incident__area_id",
            "message__incident__category_id",
            "message__incident__priority",
        )
    )
    inner, inner_params = scoped.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            _FEEDBACK_SQL.format(scoped=inner),
            [*inner_params, settings.TIME_ZONE, SOLVED_MIN_SCORE],
        )
        rows = cursor.fetchall()
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in (*FEEDBACK_BREAKDOWNS, "all")}
    for breakdown, week, area_name, category_code, priority, answers, mean, solved in rows:
        key = {
            "week": week.isoformat() if week else None,
            "area": area_name,
            "category": category_code,
            "priority": priority,
            "all": None,
        }[breakdown]
        out[breakdown].append({"key": key, **_scores(answers, mean, solved)})
    if not out["all"]:  # no answer at all: GROUPING SETS gives no row for () over nothing
        out["all"].append({"key": None, **_scores(0, None, 0)})
    for rows_of in out.values():
        rows_of.sort(key=lambda r: (r["key"] is None, str(r["key"])))
    return out


def feedback_summary(user: Any, scope: InsightScope) -> dict[str, Any]:
    """Answers received in the window (e.g. a shift), their mean score and share solved."""
    figures = feedback_in_scope(user, scope).aggregate(
        answers=Count("id"),
        mean=Avg("score"),
        solved=Count("id", filter=Q(score__gte=SOLVED_MIN_SCORE)),
    )
    return _scores(figures["answers"], figures["mean"], figures["solved"])
