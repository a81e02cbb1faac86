"""Who may call what. Which rows a user sees is not decided here but by the selectors
(`incidents_visible_to` and friends): a row outside them answers 404, so ids cannot be probed.

Write rules that depend on the row (who may start or complete a follow-up, move a patrol) are
object permissions checked after the row was found through the visibility selector.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from incidents import roles, selectors
from incidents.models import FollowUp, Patrol
from incidents.services import followups


class IsOperational(BasePermission):
    """Officers, supervisors and administrators; integrators manage integrations instead."""

    message = "Only officers, supervisors and administrators use the operational API."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) and roles.is_operational(
            request.user
        )


class SeesEverything(BasePermission):
    """Supervisors and administrators: assigning work to others, listing people."""

    message = "Only supervisors and administrators may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return roles.sees_everything(request.user)


def works_on_followup(user: Any, followup: FollowUp) -> bool:
    """The assignee, a member of the assigned patrol, or a supervisor may start/complete it
    (the rule is the domain's: incidents.services.followups, which enforces it again)."""
    return followups.works_on(user, followup)


class WorksOnFollowUp(BasePermission):
    message = "Only the follow-up's assignee (or their patrol) or a supervisor may do this."

    def has_object_permission(self, request: Request, view: Any, obj: FollowUp) -> bool:
        return works_on_followup(request.user, obj)


class MayCancelFollowUp(BasePermission):
    """Supervisors, or the officer who created the follow-up (e.g. one they took themselves)."""

    message = "Only a supervisor or the person who assigned the follow-up may cancel it."

    def has_object_permission(self, request: Request, view: Any, obj: FollowUp) -> bool:
        return followups.may_cancel(request.user, obj)


class CrewsPatrol(BasePermission):
    """A patrol's members report its position and status; supervisors may do it for them."""

    message = "Only the patrol's members or a supervisor may do this."

    def has_object_permission(self, request: Request, view: Any, obj: Patrol) -> bool:
        user = request.user
        return roles.sees_everything(user) or obj.pk in selectors.user_patrol_ids(user)


def may_assign(user: Any, assignee: Any, patrol: Patrol | None) -> bool:
    """Supervisors assign work to anyone; an officer may only take work for themselves or
    for a patrol they crew (the domain's rule: incidents.services.followups)."""
    return followups.may_assign(user, assignee, patrol)
