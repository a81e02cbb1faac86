"""Every write of the operational domain. Views, serializers, consumers, tasks, admin,
adapters and commands call these; nothing else writes through the ORM."""

from .areas import area_import_geojson, stations_import_geojson
from .concern_plans import area_set_public_page, concern_plan_add, concern_publish
from .concerns import concern_add_note, concern_create, concern_transition, concern_update
from .dispatch import incident_dispatch, incident_reassign, incident_stand_down
from .followups import (
    followup_assign,
    followup_cancel,
    followup_complete,
    followup_reassign,
    followup_start,
)
from .imports import (
    ConcernSignalResult,
    PositionResult,
    UpsertResult,
    concern_signal_record,
    content_hash_of,
    incident_upsert_external,
    patrol_position_record,
)
from .incidents import (
    incident_add_note,
    incident_assign,
    incident_create,
    incident_link_concern,
    incident_move,
    incident_set_status_notes,
    incident_transition,
    incident_update,
)
from .patrols import (
    patrol_create,
    patrol_follow_work,
    patrol_record_position,
    patrol_set_status,
    patrol_update,
)
from .people import access_record, audit_log_searched, reporter_contact_reveal
from .repeat_place_decisions import (
    repeat_place_accept,
    repeat_place_dismiss,
    repeat_place_merge,
)
from .repeat_places import repeat_places_scan

__all__ = [
    "ConcernSignalResult",
    "PositionResult",
    "UpsertResult",
    "access_record",
    "area_import_geojson",
    "area_set_public_page",
    "audit_log_searched",
    "concern_add_note",
    "concern_create",
    "concern_plan_add",
    "concern_publish",
    "concern_signal_record",
    "concern_transition",
    "concern_update",
    "content_hash_of",
    "followup_assign",
    "followup_cancel",
    "followup_complete",
    "followup_reassign",
    "followup_start",
    "incident_add_note",
    "incident_assign",
    "incident_create",
    "incident_dispatch",
    "incident_link_concern",
    "incident_move",
    "incident_reassign",
    "incident_set_status_notes",
    "incident_stand_down",
    "incident_transition",
    "incident_update",
    "incident_upsert_external",
    "patrol_create",
    "patrol_follow_work",
    "patrol_position_record",
    "patrol_record_position",
    "patrol_set_status",
    "patrol_update",
    "repeat_place_accept",
    "repeat_place_dismiss",
    "repeat_place_merge",
    "repeat_places_scan",
    "reporter_contact_reveal",
    "stations_import_geojson",
]
