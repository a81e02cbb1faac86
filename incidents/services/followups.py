"""Follow-up writes: assign, reassign, start, complete, cancel.

Who may do each is decided here, so the API, the admin, commands and tasks obey the same rule
(API permission classes are only a first gate); a refusal raises NotAllowed (HTTP 403). An
actor of None is the system itself (the demo, an import) and is not refused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .. import events, roles, selectors
from ..audience import audiences
from ..errors import InvalidInput, InvalidTransition, NotAllowed
from ..models import FollowUp, Incident, NeighbourhoodConcern, Patrol
from ..models.choices import FollowUpStatus
from ._common import add_timeline, lock_row


def _emit(followup: FollowUp, before: events.Audiences | None = None) -> None:
    """The follow-up's event to whoever sees it now (incidents.audience), and its item's when
    the change gave the item to its assignees or took it from the previous ones (`before`: the
    audiences of the follow-up and its item read before the change)."""
    events.emit_followup(followup, before)


def _person(actor: Any) -> bool:
    return actor is not None and actor.is_authenticated


def may_assign(actor: Any, assignee: Any, patrol: Patrol | None) -> bool:
    """Supervisors assign work to anyone; an officer may only take work for themselves or
    for a patrol they crew (recording what they will do), never hand it to someone else."""
    if roles.sees_everything(actor):
        return True
    if not roles.is_operational(actor):
        return False
    if assignee is not None and assignee.pk != actor.pk:
        return False
    return patrol is None or patrol.pk in selectors.user_patrol_ids(actor)


def works_on(actor: Any, followup: FollowUp) -> bool:
    """The assignee, a member of the assigned patrol, or a supervisor starts and completes it."""
    if roles.sees_everything(actor):
        return True
    if not roles.is_operational(actor):
        return False
    if followup.assignee_id == actor.pk:
        return True
    return bool(
        followup.assignee_patrol_id
        and followup.assignee_patrol_id in selectors.user_patrol_ids(actor)
    )


def may_cancel(actor: Any, followup: FollowUp) -> bool:
    """Supervisors, or the person who assigned it (e.g. a follow-up an officer took)."""
    return roles.sees_everything(actor) or (
        roles.is_operational(actor) and followup.assigned_by_id == actor.pk
    )


def _require_sees_item(actor: Any, incident: Incident | None, concern: Any) -> None:
    if roles.sees_everything(actor):
        return
    if incident is not None:
        visible = selectors.incidents_visible_to(actor).filter(pk=incident.pk).exists()
    else:
        visible = selectors.concerns_visible_to(actor).filter(pk=concern.pk).exists()
    if not visible:
        raise NotAllowed(_("You do not work on this item."))


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
    if _person(actor):
        if not may_assign(actor, assignee, assignee_patrol):
            raise NotAllowed(_("Only supervisors may assign follow-ups to others."))
        _require_sees_item(actor, incident, concern)
    before = audiences(incident or concern)  # its assignee may not see the item yet
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
    _emit(followup, before)
    return followup


def _lock(followup: FollowUp | int) -> FollowUp:
    return lock_row(FollowUp, followup)


def _require_works_on(actor: Any, followup: FollowUp) -> None:
    if _person(actor) and not works_on(actor, followup):
        raise NotAllowed(
            _("Only the follow-up's assignee (or their patrol) or a supervisor may do this.")
        )


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
    _require_works_on(actor, obj)
    previous = _move(obj, FollowUpStatus.IN_PROGRESS)
    obj.save()
    add_timeline(
        item=obj.item,
        kind="followup",
        actor=actor,
        text=obj.title,
        from_status=previous,
        to_status=obj.status,
        data={"followup": obj.id, "action": "started"},
    )
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
    _require_works_on(actor, obj)
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
        raise InvalidInput({"reason": ["Say why the follow-up is cancelled."]})
    obj = _lock(followup)
    if _person(actor) and not may_cancel(actor, obj):
        raise NotAllowed(
            _("Only a supervisor or the person who assigned the follow-up may cancel it.")
        )
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
    if _person(actor) and not roles.sees_everything(actor):
        raise NotAllowed(_("Only supervisors may give a follow-up to someone else."))
    if not obj.is_open:
        raise InvalidInput({"status": ["Only open follow-ups can be reassigned."]})
    _check_assignee(assignee, assignee_patrol)
    if due_at is not None:
        if due_at < timezone.now():
            raise InvalidInput({"due_at": ["The due date cannot be in the past."]})
        obj.due_at = due_at
    before = audiences(obj, obj.item)  # the previous assignee may lose both
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
    _emit(obj, before)
    return obj
