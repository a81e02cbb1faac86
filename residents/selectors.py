"""Reads of the resident loop, through the follow-up visibility rule (incidents.selectors)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from incidents import selectors
from incidents.models import FollowUp, NeighbourhoodConcern

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
