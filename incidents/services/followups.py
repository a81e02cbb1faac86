"""Follow-up writes: assign, reassign, start, complete, cancel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from .. import events, roles
from ..errors import InvalidInput, InvalidTransition
from ..models import FollowUp, Incident, NeighbourhoodConcern, Patrol
from ..models.choices import FollowUpStatus
from ._common import add_timeline, lock_row


def _emit(followup: FollowUp) -> None:
    item = followup.item
    user_ids = [followup.assignee_id, followup.assigned_by_id]
    if followup.assignee_patrol_id:
        user_ids += list(followup.assignee_patrol.members.values_list("id", flat=True))
    events.emit(
        "followup.upserted",
        entity_type="followup",
        entity_id=followup.id,
        area_ids=[item.area_id],
        user_ids=user_ids,
        payload=events.followup_payload(followup),
    )


def _check_assignee(assignee: Any, patrol: Patrol | None) -> None:
    if assignee is None and patrol is None:
        raise InvalidInput({"assignee": ["Assign the follow-up to an officer or a patrol."]})
    if assignee is not None and not roles.is_operational(assignee):
        raise InvalidInput({"assignee": ["Follow-ups go to officers or supervisors."]})


@transaction.atomic
def followup_assign(
    *,
    actor: Any,
    incident: Incident | None = None,
    concern: NeighbourhoodConcern | None = None,
    title: str,
    due_at: datetime,
    assignee: Any = None,
    assignee_patrol: Patrol | None = None,
    tell_resident: bool = False,
    allow_past_due: bool = False,
) -> FollowUp:
    """Assign work on exactly one incident or concern; due dates in the past are refused."""
    if (incident is None) == (concern is None):
        raise InvalidInput({"incident": ["A follow-up belongs to one incident or one concern."]})
    if not (title or "").strip():
        raise InvalidInput({"title": ["Say what is to be done."]})
    if due_at is None:
        raise InvalidInput({"due_at": ["A follow-up needs a due date."]})
    if not allow_past_due and due_at < timezone.now():
        raise InvalidInput({"due_at": ["The due date cannot be in the past."]})
    _check_assignee(assignee, assignee_patrol)
    followup = FollowUp.objects.create(
        incident=incident,
        concern=concern,
        title=title.strip()[:255],
        due_at=due_at,
        assignee=assignee,
        assignee_patrol=assignee_patrol,
        assigned_by=actor,
        tell_resident=tell_resident,
    )
    add_timeline(
        item=followup.item,
        kind="followup",
        actor=actor,
        text=followup.title,
        data={
            "followup": followup.id,
            "action": "assigned",
            "assignee": str(assignee or assignee_patrol),
            "due_at": due_at.isoformat(),
        },
    )
    _emit(followup)
    return followup


def _lock(followup: FollowUp | int) -> FollowUp:
    return lock_row(FollowUp, followup)


def _move(obj: FollowUp, to_status: str) -> str:
    if to_status not in obj.allowed_transitions():
        raise InvalidTransition(
            entity="follow-up",
            current=obj.status,
            target=to_status,
            allowed=obj.allowed_transitions(),
        )
    previous, obj.status = obj.status, to_status
    return previous


@transaction.atomic
def followup_start(*, followup: FollowUp | int, actor: Any) -> FollowUp:
    obj = _lock(followup)
    _move(obj, FollowUpStatus.IN_PROGRESS)
    obj.save()
    _emit(obj)
    return obj


@transaction.atomic
def followup_complete(
    *, followup: FollowUp | int, actor: Any, outcome: str, resident_told: bool = False
) -> FollowUp:
    """Done needs an outcome; if the resident must be told, say whether they were."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise InvalidInput({"outcome": ["Say what was done."]})
    obj = _lock(followup)
    _move(obj, FollowUpStatus.DONE)
    obj.outcome = outcome
    obj.completed_at = timezone.now()
    if obj.tell_resident and resident_told:
        obj.resident_told_at = obj.completed_at
    obj.save()
    add_timeline(
        item=obj.item,
        kind="followup",
        actor=actor,
        text=outcome,
        data={"followup": obj.id, "action": "done", "resident_told": resident_told},
    )
    # What else completing means, without the domain importing it: hooks named in settings
    # (residents.services drafts the message to the resident), run in this transaction.
    for hook in settings.KOBAN_FOLLOWUP_COMPLETED_HOOKS:
        import_string(hook)(followup=obj, actor=actor)
    _emit(obj)
    return obj


@transaction.atomic
def followup_cancel(*, followup: FollowUp | int, actor: Any, reason: str) -> FollowUp:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"outcome": ["Say why the follow-up is cancelled."]})
    obj = _lock(followup)
    _move(obj, FollowUpStatus.CANCELLED)
    obj.outcome = reason
    obj.completed_at = timezone.now()
    obj.save()
    add_timeline(
        item=obj.item,
        kind="followup",
        actor=actor,
        text=reason,
        data={"followup": obj.id, "action": "cancelled"},
    )
    _emit(obj)
    return obj


@transaction.atomic
def followup_reassign(
    *,
    followup: FollowUp | int,
    actor: Any,
    assignee: Any = None,
    assignee_patrol: Patrol | None = None,
    due_at: datetime | None = None,
) -> FollowUp:
    obj = _lock(followup)
    if not obj.is_open:
        raise InvalidInput({"status": ["Only open follow-ups can be reassigned."]})
    _check_assignee(assignee, assignee_patrol)
    if due_at is not None:
        if due_at < timezone.now():
            raise InvalidInput({"due_at": ["The due date cannot be in the past."]})
        obj.due_at = due_at
    obj.assignee, obj.assignee_patrol = assignee, assignee_patrol
    obj.save()
    add_timeline(
        item=obj.item,
        kind="followup",
        actor=actor,
        text=obj.title,
        data={
            "followup": obj.id,
            "action": "reassigned",
            "assignee": str(assignee or assignee_patrol),
        },
    )
    _emit(obj)
    return obj
