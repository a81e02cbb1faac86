"""Enumerations shared by the domain, with the lifecycle rules they imply."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class IncidentStatus(models.TextChoices):
    NEW = "new", _("New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    DISPATCHED = "dispatched", _("Dispatched")
    ON_SCENE = "on_scene", _("On scene")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")
    DUPLICATE = "duplicate", _("Duplicate")


_S = IncidentStatus
# The only moves an incident may make; anything else is refused (InvalidTransition).
INCIDENT_TRANSITIONS: dict[str, tuple[str, ...]] = {
    _S.NEW: (_S.ACKNOWLEDGED, _S.CANCELLED, _S.DUPLICATE),
    _S.ACKNOWLEDGED: (_S.DISPATCHED, _S.RESOLVED, _S.CANCELLED, _S.DUPLICATE),
    _S.DISPATCHED: (_S.ON_SCENE, _S.ACKNOWLEDGED, _S.CANCELLED),
    _S.ON_SCENE: (_S.RESOLVED,),
    _S.RESOLVED: (_S.CLOSED, _S.ACKNOWLEDGED),
    _S.CLOSED: (),
    _S.CANCELLED: (),
    _S.DUPLICATE: (),
}
INCIDENT_OPEN_STATUSES = (_S.NEW, _S.ACKNOWLEDGED, _S.DISPATCHED, _S.ON_SCENE)
# Items that are over: their reporters' personal data is erased after the retention period.
INCIDENT_FINAL_STATUSES = (_S.CLOSED, _S.CANCELLED, _S.DUPLICATE)


def incident_status_path(current: str, target: str) -> list[str] | None:
    """The shortest allowed path of moves from one status to another (breadth-first), or None.

    Lets an upstream system's status (or the demo) be reached through the lifecycle, never
    around it.
    """
    frontier: list[list[str]] = [[current]]
    seen = {current}
    while frontier:
        path = frontier.pop(0)
        for nxt in INCIDENT_TRANSITIONS.get(path[-1], ()):
            if nxt == target:
                return [*path[1:], nxt]
            if nxt not in seen:
                seen.add(nxt)
                frontier.append([*path, nxt])
    return None


class ConcernStatus(models.TextChoices):
    """The problem-solving cycle (scan, analyse, respond, assess) plus an end."""

    OPEN = "open", _("Open")
    ANALYSING = "analysing", _("Analysing")
    RESPONDING = "responding", _("Responding")
    ASSESSING = "assessing", _("Assessing")
    CLOSED = "closed", _("Closed")


_C = ConcernStatus
CONCERN_TRANSITIONS: dict[str, tuple[str, ...]] = {
    _C.OPEN: (_C.ANALYSING, _C.RESPONDING, _C.CLOSED),
    _C.ANALYSING: (_C.RESPONDING, _C.CLOSED),
    _C.RESPONDING: (_C.ASSESSING, _C.ANALYSING, _C.CLOSED),
    _C.ASSESSING: (_C.CLOSED, _C.RESPONDING),
    _C.CLOSED: (_C.OPEN,),
}


class PatrolKind(models.TextChoices):
    FOOT = "foot", _("Foot")
    CAR = "car", _("Car")
    MOTORBIKE = "motorbike", _("Motorbike")
    BICYCLE = "bicycle", _("Bicycle")


class PatrolStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    BUSY = "busy", _("Busy")
    OFF_DUTY = "off_duty", _("Off duty")


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


_F = FollowUpStatus
FOLLOWUP_TRANSITIONS: dict[str, tuple[str, ...]] = {
    _F.OPEN: (_F.IN_PROGRESS, _F.DONE, _F.CANCELLED),
    _F.IN_PROGRESS: (_F.DONE, _F.CANCELLED, _F.OPEN),
    _F.DONE: (),
    _F.CANCELLED: (),
}
FOLLOWUP_OPEN_STATUSES = (_F.OPEN, _F.IN_PROGRESS)
