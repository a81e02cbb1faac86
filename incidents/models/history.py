"""The change history: database triggers (django-pghistory) write one append-only row for every
insert, update and delete of the operational tables, users and group memberships, with the
context (who, which request, task or sync run) the application sets.

Personal fields of residents and secrets are never copied into the history (a contact's name,
phone and e-mail; passwords): erasing them later leaves nothing behind in rows no one may
change. The event tables refuse UPDATE and DELETE (pghistory's append-only triggers)."""

from __future__ import annotations

import pghistory
from django.contrib.auth.models import User

from .concerns import NeighbourhoodConcern
from .followups import FollowUp
from .incidents import Incident, ReporterContact
from .patrols import Patrol
from .repeat_places import RepeatPlaceRule


def events() -> tuple[pghistory.RowEvent, ...]:
    """Fresh trackers for each model (a tracker adapts its condition to the model it tracks)."""
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


# Personal data never copied into history rows; a change to them is still recorded.
CONTACT_PERSONAL_FIELDS = ("name", "phone", "email")


def _track(model: type, **kwargs: object) -> None:
    pghistory.track(*events(), append_only=True, **kwargs)(model)  # type: ignore[arg-type]


_track(Incident, model_name="IncidentEvent")
_track(NeighbourhoodConcern, model_name="ConcernEvent")
_track(FollowUp, model_name="FollowUpEvent")
_track(Patrol, model_name="PatrolEvent")
# Issue 16: who changed a repeat-place rule, and when (each proposal keeps the rule it applied).
_track(RepeatPlaceRule, model_name="RepeatPlaceRuleEvent")
pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(
        condition=pghistory.AnyChange(
            *CONTACT_PERSONAL_FIELDS,
            "preferred_contact",
            "consent_to_contact",
            "language",
            "incident",
        )
    ),
    pghistory.DeleteEvent(),
    exclude=list(CONTACT_PERSONAL_FIELDS),
    append_only=True,
    model_name="ReporterContactEvent",
)(ReporterContact)


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(
        # A password change is recorded (without the hash); a log-in is not a change.
        condition=pghistory.AnyChange(
            "password",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "is_superuser",
        ),
    ),
    pghistory.DeleteEvent(),
    exclude=["password", "last_login"],
    append_only=True,
    model_name="UserEvent",
)
class TrackedUser(User):
    """Users, tracked through a proxy so the triggers' migrations are Koban's, not written
    into django.contrib.auth's own migrations folder."""

    class Meta:
        proxy = True
        app_label = "incidents"


@pghistory.track(
    pghistory.InsertEvent("group.add"),
    pghistory.DeleteEvent("group.remove"),
    append_only=True,
    obj_field=None,
    model_name="GroupMembershipEvent",
)
class GroupMembership(User.groups.through):  # type: ignore[name-defined, misc]
    """Group memberships (roles), tracked through a proxy of the many-to-many table."""

    class Meta:
        proxy = True
        app_label = "incidents"
