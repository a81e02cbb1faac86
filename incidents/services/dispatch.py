"""Dispatch: send a unit (a patrol and/or an officer) to an incident, give the incident to
another unit, or stand the unit down. Each writes its timeline entry and events in one
transaction; the patrols involved follow (busy while sent, available after).

Who may do it: `authority.require_may_send` (supervisors; an officer for their own patrol when
KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL is on). "On scene" and "resolved" are recorded by the
unit through `incident_transition`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from .. import roles
from ..errors import InvalidInput, InvalidTransition
from ..models import Incident, Patrol, TimelineEntry
from ..models.choices import IncidentStatus, PatrolStatus
from ._common import add_timeline, lock_row
from .authority import require_may_send
from .incidents import _emit_incident, _lock, incident_transition, unit_user_ids
from .patrols import patrol_follow_work

_S = IncidentStatus


def _unit_label(patrol: Patrol | None, officer: Any) -> str:
    names = []
    if patrol is not None:
        names.append(patrol.call_sign)
    if officer is not None:
        names.append(officer.get_full_name() or officer.get_username())
    return " · ".join(names)


def _check_unit(
    patrol: Patrol | None, officer: Any, *, keep_patrol_id: int | None = None
) -> Patrol | None:
    """The patrol (locked) must be available, unless it is the one already sent; the officer
    must be an active officer, supervisor or administrator."""
    if patrol is None and officer is None:
        raise InvalidInput({"patrol": [_("Choose a patrol or an officer to send.")]})
    locked = None
    if patrol is not None:
        locked = lock_row(Patrol, patrol)
        if locked.pk != keep_patrol_id and locked.status != PatrolStatus.AVAILABLE:
            raise InvalidInput(
                {
                    "patrol": [
                        _("%(call_sign)s is not available (%(status)s).")
                        % {"call_sign": locked.call_sign, "status": locked.get_status_display()}
                    ]
                }
            )
    if officer is not None and not (officer.is_active and roles.is_operational(officer)):
        raise InvalidInput({"officer": [_("This person cannot be sent to an incident.")]})
    return locked


def _data(patrol: Patrol | None, officer: Any) -> dict[str, Any]:
    return {
        "patrol": patrol.pk if patrol else None,
        "call_sign": patrol.call_sign if patrol else "",
        "officer": officer.pk if officer else None,
    }


@transaction.atomic
def incident_dispatch(
    *,
    incident: Incident | int,
    actor: Any,
    patrol: Patrol | None = None,
    officer: Any = None,
    note: str = "",
) -> Incident:
    """Send a unit to a new or acknowledged incident: it moves to "dispatched" (a new one is
    acknowledged first), and the status entry records who was sent and by whom."""
    obj = _lock(incident)
    require_may_send(actor, obj, patrol=patrol, officer=officer)
    if obj.status not in (_S.NEW, _S.ACKNOWLEDGED):
        raise InvalidTransition(
            entity="incident",
            current=obj.status,
            target=_S.DISPATCHED,
            allowed=obj.allowed_transitions(),
        )
    patrol = _check_unit(patrol, officer)
    if obj.status == _S.NEW:
        obj = incident_transition(incident=obj, to_status=_S.ACKNOWLEDGED, actor=actor)
    before = unit_user_ids(obj)
    previous_patrol_id = obj.assigned_patrol_id
    obj.assigned_patrol = patrol
    obj.assigned_officer = officer
    obj.status = _S.DISPATCHED
    obj.save()
    label = _unit_label(patrol, officer)
    add_timeline(
        item=obj,
        kind=TimelineEntry.Kind.STATUS,
        actor=actor,
        from_status=_S.ACKNOWLEDGED,
        to_status=_S.DISPATCHED,
        text="\n".join(x for x in (label, note.strip()) if x),
        data={"dispatched": _data(patrol, officer)},
    )
    for patrol_id in {previous_patrol_id, obj.assigned_patrol_id} - {None}:
        patrol_follow_work(patrol=patrol_id)
    _emit_incident(obj, also_user_ids=before)
    return obj


@transaction.atomic
def incident_reassign(
    *,
    incident: Incident | int,
    actor: Any,
    patrol: Patrol | None = None,
    officer: Any = None,
    note: str = "",
) -> Incident:
    """Give a dispatched incident to another unit; the old patrol is free again, the new one
    busy, and the old unit hears the change (the item leaves their work)."""
    obj = _lock(incident)
    require_may_send(actor, obj, patrol=patrol, officer=officer)
    if obj.status != _S.DISPATCHED:
        raise InvalidInput({"status": [_("Only a dispatched incident can go to another unit.")]})
    if obj.assigned_patrol_id == getattr(patrol, "pk", None) and obj.assigned_officer_id == (
        getattr(officer, "pk", None)
    ):
        raise InvalidInput({"patrol": [_("This unit is already the one sent.")]})
    patrol = _check_unit(patrol, officer, keep_patrol_id=obj.assigned_patrol_id)
    before = unit_user_ids(obj)
    old_label = _unit_label(obj.assigned_patrol, obj.assigned_officer)
    old = _data(obj.assigned_patrol, obj.assigned_officer)
    previous_patrol_id = obj.assigned_patrol_id
    obj.assigned_patrol = patrol
    obj.assigned_officer = officer
    obj.save()
    add_timeline(
        item=obj,
        kind=TimelineEntry.Kind.REASSIGNED,
        actor=actor,
        text="\n".join(
            x for x in (f"{old_label} → {_unit_label(patrol, officer)}", note.strip()) if x
        ),
        data={"from": old, "to": _data(patrol, officer)},
    )
    for patrol_id in {previous_patrol_id, obj.assigned_patrol_id} - {None}:
        patrol_follow_work(patrol=patrol_id)
    _emit_incident(obj, also_user_ids=before)
    return obj


@transaction.atomic
def incident_stand_down(*, incident: Incident | int, actor: Any, reason: str = "") -> Incident:
    """Call the unit off a dispatched incident: the incident is acknowledged again with no
    unit, and the patrol is available (the entry keeps who was stood down)."""
    obj = _lock(incident)
    require_may_send(actor, obj, patrol=obj.assigned_patrol, officer=obj.assigned_officer)
    if obj.status != _S.DISPATCHED:
        raise InvalidTransition(
            entity="incident",
            current=obj.status,
            target=_S.ACKNOWLEDGED,
            allowed=obj.allowed_transitions(),
        )
    before = unit_user_ids(obj)
    old_label = _unit_label(obj.assigned_patrol, obj.assigned_officer)
    old = _data(obj.assigned_patrol, obj.assigned_officer)
    previous_patrol_id = obj.assigned_patrol_id
    obj.assigned_patrol = None
    obj.assigned_officer = None
    obj.status = _S.ACKNOWLEDGED
    obj.save()
    add_timeline(
        item=obj,
        kind=TimelineEntry.Kind.STOOD_DOWN,
        actor=actor,
        from_status=_S.DISPATCHED,
        to_status=_S.ACKNOWLEDGED,
        text="\n".join(x for x in (old_label, reason.strip()) if x),
        data={"stood_down": old},
    )
    if previous_patrol_id:
        patrol_follow_work(patrol=previous_patrol_id)
    _emit_incident(obj, also_user_ids=before)
    return obj
