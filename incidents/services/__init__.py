"""Every write of the operational domain. Views, serializers, consumers, tasks, admin,
adapters and commands call these; nothing else writes through the ORM."""

from .areas import area_import_geojson, stations_import_geojson
from .concerns import concern_add_note, concern_create, concern_transition, concern_update
from .followups import (
    followup_assign,
    followup_cancel,
    followup_complete,
    followup_reassign,
    followup_start,
)
from .incidents import (
    UpsertResult,
    incident_add_note,
    incident_assign,
    incident_create,
    incident_link_concern,
    incident_move,
    incident_transition,
    incident_update,
    incident_upsert_external,
)
from .patrols import patrol_create, patrol_record_position, patrol_set_status
from .people import reporter_contact_for

__all__ = [
    "UpsertResult",
    "area_import_geojson",
    "concern_add_note",
    "concern_create",
    "concern_transition",
    "concern_update",
    "followup_assign",
    "followup_cancel",
    "followup_complete",
    "followup_reassign",
    "followup_start",
    "incident_add_note",
    "incident_assign",
    "incident_create",
    "incident_link_concern",
    "incident_move",
    "incident_transition",
    "incident_update",
    "incident_upsert_external",
    "patrol_create",
    "patrol_record_position",
    "patrol_set_status",
    "reporter_contact_for",
    "stations_import_geojson",
]
