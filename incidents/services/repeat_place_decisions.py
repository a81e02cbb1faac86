"""A supervisor's decision on a repeat-place proposal: accept (a concern with its incidents),
merge into a concern, or dismiss with a reason. Each is logged on the proposal's decision
history and published to the supervisors' map layer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import InvalidInput, NotAllowed
from ..models import NeighbourhoodConcern
from ..models.choices import ConcernStatus
from ..models.repeat_places import RepeatPlaceProposal
from ..selectors_repeat_places import may_decide_repeat_places
from ._common import add_timeline, lock_row
from .concerns import concern_create
from .incidents import incident_link_concern
from .repeat_places import emit_proposal, log_decision


def _lock_waiting(proposal: RepeatPlaceProposal | int, actor: Any) -> RepeatPlaceProposal:
    if not may_decide_repeat_places(actor):
        raise NotAllowed(_("Only supervisors decide on repeat places."))
    obj = lock_row(RepeatPlaceProposal, proposal, "category")
    if not obj.is_waiting:
        raise InvalidInput(
            {"status": [_("This proposal was already decided (%s).") % obj.get_status_display()]}
        )
    return obj


def _link_members(
    proposal: RepeatPlaceProposal, concern: NeighbourhoodConcern, actor: Any
) -> list[int]:
    """Link the members not already part of another open concern; returns their ids."""
    linked = []
    members = proposal.incidents.select_related("concern").order_by("id")
    for incident in members:
        other = incident.concern
        if other is not None and other.pk != concern.pk and other.status != ConcernStatus.CLOSED:
            continue
        incident_link_concern(incident=incident, concern=concern, actor=actor)
        linked.append(incident.pk)
    return linked


def _decide(
    obj: RepeatPlaceProposal,
    status: str,
    *,
    actor: Any,
    reason: str,
    concern: NeighbourhoodConcern | None = None,
    data: dict[str, Any] | None = None,
) -> RepeatPlaceProposal:
    obj.status = status
    obj.concern = concern
    obj.decided_by = actor
    obj.decided_at = timezone.now()
    obj.decision_reason = reason
    obj.save()
    log_decision(obj, status, actor=actor, reason=reason, data=data)
    emit_proposal(obj)
    return obj


@transaction.atomic
def repeat_place_accept(
    *,
    proposal: RepeatPlaceProposal | int,
    actor: Any,
    title: str = "",
    note: str = "",
) -> RepeatPlaceProposal:
    """Open a concern on the proposal's place, with its incidents linked."""
    obj = _lock_waiting(proposal, actor)
    label = obj.category.label(settings.LANGUAGE_CODE)
    concern = concern_create(
        actor=actor,
        title=(title or "").strip() or _("Repeat place: %(category)s") % {"category": label},
        category=obj.category,
        description=obj.reason,
        raised_by=NeighbourhoodConcern.RaisedBy.REPEAT_PLACE,
        location=obj.centre,
        place=obj.place,
    )
    linked = _link_members(obj, concern, actor)
    add_timeline(
        item=concern,
        kind="note",
        actor=actor,
        text=_("Opened from a repeat-place proposal: %(reason)s") % {"reason": obj.reason},
        data={"repeat_place": obj.pk, "incidents": linked, "rule": obj.rule_parameters},
    )
    return _decide(
        obj,
        RepeatPlaceProposal.Status.ACCEPTED,
        actor=actor,
        reason=note.strip(),
        concern=concern,
        data={"concern": concern.pk, "incidents": linked},
    )


@transaction.atomic
def repeat_place_merge(
    *,
    proposal: RepeatPlaceProposal | int,
    concern: NeighbourhoodConcern | int,
    actor: Any,
    note: str = "",
) -> RepeatPlaceProposal:
    """Add the proposal's incidents to an existing, open concern."""
    obj = _lock_waiting(proposal, actor)
    target = lock_row(NeighbourhoodConcern, concern, "category")
    if target.status == ConcernStatus.CLOSED:
        raise InvalidInput({"concern": [_("This concern is closed; reopen it first.")]})
    linked = _link_members(obj, target, actor)
    add_timeline(
        item=target,
        kind="note",
        actor=actor,
        text=_("Repeat-place proposal merged: %(reason)s") % {"reason": obj.reason},
        data={"repeat_place": obj.pk, "incidents": linked, "rule": obj.rule_parameters},
    )
    return _decide(
        obj,
        RepeatPlaceProposal.Status.MERGED,
        actor=actor,
        reason=note.strip(),
        concern=target,
        data={"concern": target.pk, "incidents": linked},
    )


@transaction.atomic
def repeat_place_dismiss(
    *, proposal: RepeatPlaceProposal | int, actor: Any, reason: str
) -> RepeatPlaceProposal:
    """Dismiss with a reason; the same incidents are not proposed again unless one joins."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": [_("Say why the proposal is dismissed.")]})
    obj = _lock_waiting(proposal, actor)
    members = sorted(obj.incidents.values_list("id", flat=True))
    return _decide(
        obj,
        RepeatPlaceProposal.Status.DISMISSED,
        actor=actor,
        reason=reason,
        data={"incidents": members},
    )
