"""What templates need beyond Django's tags: role checks and the page's JSON configuration.

The browser code reads its configuration and its translated strings from two json_script
blocks, so the JavaScript has no build step and no second translation catalogue.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.translation import get_language, gettext

from incidents import roles, selectors
from incidents.models import AccessPurpose, Area, Category
from incidents.models.choices import (
    ConcernStatus,
    FollowUpStatus,
    IncidentStatus,
    PatrolKind,
    PatrolStatus,
    Priority,
)
from residents.ui import resident_languages, resident_ui_strings

register = template.Library()


@register.filter
def has_role(user: Any, names: str) -> bool:
    """`{% if user|has_role:"Integrator,Administrator" %}`"""
    return roles.has_role(user, *[n.strip() for n in names.split(",") if n.strip()])


@register.filter
def is_operational(user: Any) -> bool:
    return roles.is_operational(user)


@register.filter
def sees_everything(user: Any) -> bool:
    return roles.sees_everything(user)


def _labels(choices: Any) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


@register.simple_tag
def basemap_url() -> str:
    """The optional raster tile URL template (KOBAN_BASEMAP_URL), for the admin's map widgets."""
    return settings.KOBAN_BASEMAP_URL


@register.simple_tag(takes_context=True)
def koban_config(context: template.Context) -> dict[str, Any]:
    """Everything the page scripts need to start: who, where, which words, which URLs."""
    request = context["request"]
    user = request.user
    language = get_language() or settings.LANGUAGE_CODE
    return {
        "me": {
            "id": user.id,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "roles": sorted(roles.role_names(user)),
            "sees_everything": roles.sees_everything(user),
            "can_assign": roles.sees_everything(user),
            # Dispatch (issue 12): supervisors send any unit; officers their own patrol only
            # where the force allows it (the domain decides; this only shapes the panel).
            "can_dispatch": roles.sees_everything(user)
            or (settings.KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL and roles.is_operational(user)),
            "areas": sorted(selectors.user_area_ids(user)),
        },
        "language": language,
        "locale": "pt-PT" if language.startswith("pt") else "en-GB",
        "timeZone": settings.TIME_ZONE,
        "api": "/api/v1/",
        "ws": "/ws/operations/",
        "basemap": settings.KOBAN_BASEMAP_URL,
        "staleMinutes": settings.KOBAN_POSITION_STALE_MINUTES,
        "urls": {
            "operations": reverse("dashboard:operations"),
            "followups": reverse("dashboard:followups"),
            "my_work": reverse("dashboard:my_work"),
            "public_parishes": reverse("dashboard:public_parishes"),
        },
        "labels": {
            "incident_status": _labels(IncidentStatus),
            "concern_status": _labels(ConcernStatus),
            "followup_status": _labels(FollowUpStatus),
            "priority": _labels(Priority),
            "patrol_status": _labels(PatrolStatus),
            "patrol_kind": _labels(PatrolKind),
            "area_kind": _labels(Area.Kind),
            "category": {c.code: c.label(language) for c in Category.objects.all()},
        },
        # Issue 15: the resident loop's words and languages (residents/ui.py).
        "strings": {**ui_strings(), **resident_ui_strings()},
        "residentLanguages": resident_languages(),
        # Why a reporter's contact may be revealed (data: AccessPurpose).
        "purposes": [
            {"code": p.code, "name": p.label(language), "needs_text": p.needs_text}
            for p in AccessPurpose.objects.filter(active=True)
        ]
        if roles.is_operational(user)
        else [],
    }


def ui_strings() -> dict[str, str]:
    """Words the scripts write into the page, translated for the active language."""
    return {
        "live_connected": gettext("Live"),
        "live_connecting": gettext("Connecting…"),
        "live_reconnecting": gettext("Reconnecting…"),
        "live_offline": gettext("Offline"),
        "live_catching_up": gettext("Catching up…"),
        "loading": gettext("Loading…"),
        "load_failed": gettext("Could not load the data. Retrying…"),
        "no_results": gettext("Nothing matches these filters."),
        "incidents": gettext("Incidents"),
        "concerns": gettext("Neighbourhood concerns"),
        "concern": gettext("Neighbourhood concern"),
        "incident": gettext("Incident"),
        "patrols": gettext("Patrols"),
        "stations": gettext("Police stations"),
        "stale": gettext("no recent position"),
        "position_at": gettext("position at"),
        "close": gettext("Close"),
        "status": gettext("Status"),
        "priority": gettext("Priority"),
        "category": gettext("Category"),
        "address": gettext("Address"),
        "area": gettext("Area"),
        "reported_at": gettext("Reported"),
        "updated_at": gettext("Updated"),
        "change_status": gettext("Change status"),
        "no_next_status": gettext("This item is in a final state."),
        "timeline": gettext("Timeline"),
        "add_note": gettext("Add note"),
        "note_placeholder": gettext("What happened, what was done…"),
        "linked_incidents": gettext("Linked incidents"),
        "linked_concern": gettext("Part of the neighbourhood concern"),
        "none": gettext("None"),
        "followups": gettext("Follow-ups"),
        "no_followups": gettext("No follow-ups."),
        "assign_followup": gettext("Assign a follow-up"),
        "what_to_do": gettext("What to do"),
        "assignee": gettext("Assigned to"),
        "due": gettext("Due"),
        "tell_resident": gettext("Tell the resident"),
        "assign": gettext("Assign"),
        "reassign": gettext("Reassign"),
        "cancel": gettext("Cancel"),
        "start": gettext("Start"),
        "complete": gettext("Mark as done"),
        "outcome": gettext("Outcome"),
        "outcome_placeholder": gettext("What was done and what was found"),
        "resident_told": gettext("The resident was told"),
        "overdue": gettext("Overdue"),
        "n_overdue": gettext("{n} overdue"),
        "done": gettext("Done"),
        "done_recently": gettext("Done recently"),
        "complete_submit": gettext("Complete"),
        "assigned_by": gettext("assigned by"),
        "reporter": gettext("Reporter (personal data)"),
        "reporter_name": gettext("Name"),
        "reporter_phone": gettext("Phone"),
        "reporter_email": gettext("Email"),
        "reporter_logged": gettext("Your consultation of this contact is logged."),
        "reveal_contact": gettext("Reveal contact"),
        "reveal_explain": gettext(
            "A resident's contact is held. Revealing it is logged with your purpose."
        ),
        "reveal_purpose": gettext("Purpose"),
        "reveal_choose": gettext("Choose a purpose"),
        "reveal_reason": gettext("Why (in your words)"),
        "reveal_submit": gettext("Reveal"),
        "reveal_not_allowed": gettext(
            "A resident's contact is held. Only a supervisor, or an officer with an open "
            "follow-up assigned by a supervisor, may reveal it."
        ),
        "error": gettext("Something went wrong. Please try again."),
        "conflict": gettext("The status changed meanwhile. Allowed now:"),
        "no_area": gettext("Outside the service area"),
        "unassigned": gettext("Unassigned"),
        "no_work": gettext("No follow-ups assigned to you. Good work."),
        "shown_of": gettext("Showing the newest {n} of {total}."),
        "count_incidents": gettext("{n} incidents"),
        "map_cell": gettext("{n} incidents here: zoom in to see them"),
        "map_limited": gettext("Showing {n} of {total}: zoom in"),
        "count_concerns": gettext("{n} concerns"),
        "select_assignee": gettext("Choose an officer"),
        "timeline_created": gettext("Created"),
        "timeline_status": gettext("Status changed"),
        "timeline_note": gettext("Note"),
        "timeline_followup": gettext("Follow-up"),
        "timeline_linked": gettext("Linked"),
        "timeline_moved": gettext("Location changed"),
        "timeline_updated": gettext("Updated"),
        "timeline_imported": gettext("Imported"),
        "next_review": gettext("Next review"),
        "partners": gettext("Partners"),
        "zoom_in": gettext("Zoom in"),
        "zoom_out": gettext("Zoom out"),
        # "You said, we did" on a concern (static/dashboard/js/concern-plan.js).
        "plan_title": gettext("You said, we did"),
        "plan_promised": gettext("What was promised"),
        "plan_done": gettext("What was done"),
        "plan_add": gettext("Add a promise or an action"),
        "plan_kind": gettext("Entry"),
        "plan_commitment": gettext("Promise agreed with residents"),
        "plan_action": gettext("Action taken"),
        "plan_text": gettext("What"),
        "plan_who": gettext("Who"),
        "plan_who_hint": gettext("A team or an organisation, e.g. the parish council"),
        "plan_due_on": gettext("By when"),
        "plan_done_date": gettext("Done on"),
        "plan_fulfils": gettext("Keeps the promise"),
        "plan_fulfils_none": gettext("None"),
        "plan_by": gettext("by {date}"),
        "plan_late_by": gettext("late: due by {date}"),
        "plan_done_on": gettext("done on {date}"),
        "plan_public_page": gettext("Parish public page"),
        "plan_public_summary": gettext("Summary for residents (no names, no addresses)"),
        "plan_published": gettext("Shown on the parish's public page."),
        "plan_not_published": gettext("Not shown on the parish's public page."),
        "plan_publish": gettext("Publish"),
        "plan_update_public": gettext("Update the public summary"),
        "plan_unpublish": gettext("Take off the public page"),
        "plan_public_pages": gettext("Open the parish pages"),
        # Dispatch (issue 12)
        "dispatch": gettext("Dispatch"),
        "dispatch_title": gettext("Send a unit"),
        "dispatch_nearest": gettext("Nearest available patrols"),
        "dispatch_none": gettext("No patrol is available."),
        "dispatch_officer": gettext("Officer (optional)"),
        "dispatch_officer_only": gettext("Send only the officer"),
        "dispatch_no_officer": gettext("No officer"),
        "unit": gettext("Unit"),
        "reassign_to": gettext("Send instead"),
        "stand_down": gettext("Stand down"),
        "position_age": gettext("position {age}"),
        "no_position": gettext("no position"),
        "my_incidents": gettext("Incidents sent to me"),
        "no_incidents_sent": gettext("No incident sent to you or your patrol."),
        "timeline_reassigned": gettext("Unit changed"),
        "timeline_stood_down": gettext("Unit stood down"),
        **repeat_place_strings(),
    }


def repeat_place_strings() -> dict[str, str]:
    """Issue 16: the repeat-place proposals layer and a concern's assessment."""
    return {
        "rp_layer": gettext("Repeat places (proposals)"),
        "rp_kind": gettext("Repeat-place proposal"),
        "rp_count": gettext("{n} incidents"),
        "rp_period": gettext("Reported between"),
        "rp_radius": gettext("Radius"),
        "rp_rule": gettext("Rule"),
        "rp_rule_text": gettext("at least {min} within {m} m in {days} days"),
        "rp_place_only": gettext(
            "Found from places and times only; no person is part of the analysis. "
            "A supervisor decides."
        ),
        "rp_pattern": gettext("When it happens"),
        "rp_hours": gettext("Hours"),
        "rp_mon": gettext("Mon"),
        "rp_tue": gettext("Tue"),
        "rp_wed": gettext("Wed"),
        "rp_thu": gettext("Thu"),
        "rp_fri": gettext("Fri"),
        "rp_sat": gettext("Sat"),
        "rp_sun": gettext("Sun"),
        "rp_decide": gettext("Decide"),
        "rp_concern_title": gettext("Title of the new concern (optional)"),
        "rp_accept": gettext("Accept: open a concern"),
        "rp_merge_into": gettext("Or add the incidents to a concern"),
        "rp_choose_concern": gettext("Choose a concern"),
        "rp_merge": gettext("Merge into this concern"),
        "rp_dismiss_reason": gettext("Or dismiss it: why is it not a repeat place?"),
        "rp_dismiss": gettext("Dismiss"),
        "rp_history": gettext("Decision history"),
        "as_title": gettext("Assessment: before and after"),
        "as_not_started": gettext("The comparison starts when the concern moves to responding."),
        "as_explain": gettext(
            "Incidents of this category in this place, {days} days before and after the "
            "response started ({when})."
        ),
        "as_explain_one": gettext(
            "Incidents of this category in this place, the day before and the day after the "
            "response started ({when})."
        ),
        "as_before": gettext("Before"),
        "as_after": gettext("After"),
        "as_change": gettext("Change"),
        "as_note": gettext("Assessment note (did the problem stop?)"),
        "as_note_placeholder": gettext("Needed to close the concern."),
        "as_close": gettext("Close with this assessment"),
    }
