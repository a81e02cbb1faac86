"""Who may send a unit to an incident and who may record its progress: decided here, in the
domain, so the API, the admin, commands and tasks obey the same rule (API permission classes
are only a first gate). A refusal raises NotAllowed (HTTP 403).

An actor of None is the system itself (an adapter following an upstream system, the demo):
it is not a person and is not refused here.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .. import roles, selectors
from ..errors import InvalidInput, NotAllowed
from ..models import Incident, Patrol
from ..models.choices import IncidentStatus

_S = IncidentStatus
# Statuses in which a unit is on its way or at the place.
UNIT_AT_WORK = (_S.DISPATCHED, _S.ON_SCENE)


def _person(actor: Any) -> bool:
    return actor is not None and actor.is_authenticated


def is_unit(user: Any, incident: Incident) -> bool:
    """The officer sent to the incident, or a member of the patrol sent to it."""
    if incident.assigned_officer_id and incident.assigned_officer_id == user.pk:
        return True
    return bool(
        incident.assigned_patrol_id
        and incident.assigned_patrol_id in selectors.user_patrol_ids(user)
    )


def may_send(actor: Any, *, patrol: Patrol | None, officer: Any) -> bool:
    """Supervisors and administrators send any unit; an officer only their own patrol (and at
    most themselves with it), and only where the force allows it
    (KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL)."""
    if roles.sees_everything(actor):
        return True
    if not (
        settings.KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL and roles.has_role(actor, roles.OFFICER)
    ):
        return False
    if patrol is None or patrol.pk not in selectors.user_patrol_ids(actor):
        return False
    return officer is None or officer.pk == actor.pk


def require_may_send(
    actor: Any, incident: Incident, *, patrol: Patrol | None, officer: Any
) -> None:
    """Dispatch, reassign and stand-down need a person allowed to send this unit, who sees the
    incident."""
    if not _person(actor):
        raise NotAllowed(_("Only a person may dispatch a unit."))
    if not may_send(actor, patrol=patrol, officer=officer):
        raise NotAllowed(_("Only a supervisor may dispatch this unit."))
    _require_sees(actor, incident)


def _require_sees(actor: Any, incident: Incident) -> None:
    if roles.sees_everything(actor):
        return
    if not selectors.incidents_visible_to(actor).filter(pk=incident.pk).exists():
        raise NotAllowed(_("You do not work on this incident."))


def require_unit_for(to_status: str, *, has_unit: bool) -> None:
    """ "Dispatched" is reached only by sending a unit (`incident_dispatch`, which records who
    was sent), and "on scene" needs the unit that was sent: a plain status move may do neither,
    whoever asks (a person, an adapter or the demo)."""
    if to_status == _S.DISPATCHED:
        raise InvalidInput(
            {"status": [_("Dispatch a patrol or an officer to move an incident to dispatched.")]}
        )
    if to_status == _S.ON_SCENE and not has_unit:
        raise InvalidInput(
            {"status": [_("No unit was dispatched to this incident: dispatch one first.")]}
        )


def require_may_transition(actor: Any, incident: Incident, to_status: str) -> None:
    """Once a unit was sent, "on scene" and "resolved" are the unit's to record (or a
    supervisor's), and only a supervisor cancels; before that, an officer who sees the incident
    may move it."""
    if not _person(actor) or roles.sees_everything(actor):
        return
    if not roles.has_role(actor, roles.OFFICER):
        raise NotAllowed(_("Only officers and supervisors change an incident's status."))
    _require_sees(actor, incident)
    has_unit = bool(incident.assigned_officer_id or incident.assigned_patrol_id)
    if not has_unit:
        return
    unit_moves = to_status in (_S.ON_SCENE, _S.RESOLVED) or (
        to_status == _S.ACKNOWLEDGED and incident.status == _S.DISPATCHED
    )
    if unit_moves and not is_unit(actor, incident):
        raise NotAllowed(_("Only the unit sent to this incident, or a supervisor, may do this."))
    if to_status == _S.CANCELLED and incident.status in UNIT_AT_WORK:
        raise NotAllowed(_("Only a supervisor may cancel an incident a unit was sent to."))
