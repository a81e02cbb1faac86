"""Query-parameter filters: parsing.py turns text into typed values (or a 400 naming the
parameter); filtersets.py documents each parameter and hands its value to a selector."""

from .filtersets import (
    CONCERN_ORDERINGS,
    FOLLOWUP_ORDERINGS,
    INCIDENT_ORDERINGS,
    POSITION_ORDERINGS,
    ConcernFilter,
    FollowUpFilter,
    IncidentFilter,
    PatrolFilter,
    PositionFilter,
)

__all__ = [
    "CONCERN_ORDERINGS",
    "FOLLOWUP_ORDERINGS",
    "INCIDENT_ORDERINGS",
    "POSITION_ORDERINGS",
    "ConcernFilter",
    "FollowUpFilter",
    "IncidentFilter",
    "PatrolFilter",
    "PositionFilter",
]
