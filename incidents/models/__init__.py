"""Domain models, one module per sub-domain; import them from here."""

from . import history  # noqa: F401  (registers the history triggers; after the models)
from .areas import Area, PoliceStation
from .choices import (
    ConcernStatus,
    FollowUpStatus,
    IncidentStatus,
    PatrolKind,
    PatrolStatus,
    Priority,
)
from .concerns import ConcernPlanEntry, NeighbourhoodConcern
from .followups import FollowUp
from .incidents import Category, Incident, ReporterContact
from .outbox import OutboxEvent
from .patrols import Patrol, PatrolPosition
from .people import AccessPurpose, OfficerProfile, PersonalDataAccess
from .repeat_places import RepeatPlaceDecision, RepeatPlaceProposal, RepeatPlaceRule
from .timeline import TimelineEntry

__all__ = [
    "AccessPurpose",
    "Area",
    "Category",
    "ConcernPlanEntry",
    "ConcernStatus",
    "FollowUp",
    "FollowUpStatus",
    "Incident",
    "IncidentStatus",
    "NeighbourhoodConcern",
    "OfficerProfile",
    "OutboxEvent",
    "Patrol",
    "PatrolKind",
    "PatrolPosition",
    "PatrolStatus",
    "PersonalDataAccess",
    "PoliceStation",
    "Priority",
    "RepeatPlaceDecision",
    "RepeatPlaceProposal",
    "RepeatPlaceRule",
    "ReporterContact",
    "TimelineEntry",
]
