"""Incidents, concerns, patrols and follow-ups: every add and change goes through the
services (timeline, outbox and the domain's rules included); a field the service does not
change is read-only; nothing is deleted from here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .. import services
from ..models import FollowUp, Incident, NeighbourhoodConcern, Patrol
from .base import MapAdmin, ServiceAdmin, TimelineInline


@admin.register(Incident)
class IncidentAdmin(ServiceAdmin, MapAdmin):
    list_display = ("reference", "title", "category", "priority", "status", "area", "reported_at")
    list_filter = ("status", "priority", "category", "area", "source")
    search_fields = ("reference", "title", "address", "external_id")
    date_hierarchy = "reported_at"
    readonly_fields = (
        "reference",
        "status",
        "area",
        "source",
        "external_id",
        "created_at",
        "updated_at",
    )
    fields = (
        "reference",
        "status",
        "category",
        "priority",
        "title",
        "description",
        "location",
        "address",
        "area",
        "reported_at",
        "occurred_at",
        "concern",
        "source",
        "external_id",
        "created_at",
        "updated_at",
    )
    # What incident_update changes, and the concern (incident_link_concern).
    changeable = (
        "title",
        "description",
        "address",
        "priority",
        "occurred_at",
        "category",
        "location",
        "concern",
    )
    inlines = [TimelineInline]
    list_select_related = ("category", "area")

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.incident_create(
                actor=request.user,
                category=data["category"],
                priority=data["priority"],
                title=data.get("title", ""),
                description=data.get("description", ""),
                location=data.get("location"),
                address=data.get("address", ""),
                reported_at=data.get("reported_at"),
                occurred_at=data.get("occurred_at"),
            )
            obj.pk = created.pk
            if data.get("concern") is not None:
                services.incident_link_concern(
                    incident=created, concern=data["concern"], actor=request.user
                )
            return
        changes = {k: data[k] for k in form.changed_data if k != "concern"}
        if changes:
            services.incident_update(incident=obj.pk, actor=request.user, **changes)
        if "concern" in form.changed_data:
            services.incident_link_concern(
                incident=obj.pk, concern=data["concern"], actor=request.user
            )


# Reporters' contacts are not in the admin at all: the only way to see one is the logged,
# need-to-know reveal with a purpose (incidents.services.reporter_contact_reveal).


@admin.register(NeighbourhoodConcern)
class ConcernAdmin(ServiceAdmin, MapAdmin):
    list_display = (
        "reference",
        "title",
        "category",
        "priority",
        "status",
        "area",
        "next_review_on",
    )
    list_filter = ("status", "priority", "category", "area")
    search_fields = ("reference", "title", "address")
    readonly_fields = ("reference", "status", "area", "source", "external_id", "created_at")
    fields = (
        "reference",
        "status",
        "title",
        "description",
        "category",
        "priority",
        "raised_by",
        "location",
        "address",
        "area",
        "partners",
        "next_review_on",
        "owner",
        "source",
        "external_id",
        "created_at",
    )
    # What concern_update changes.
    changeable = (
        "title",
        "description",
        "priority",
        "partners",
        "next_review_on",
        "address",
        "category",
        "owner",
        "location",
    )
    inlines = [TimelineInline]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.concern_create(
                actor=request.user,
                title=data["title"],
                category=data["category"],
                description=data.get("description", ""),
                priority=data["priority"],
                raised_by=data["raised_by"],
                location=data.get("location"),
                address=data.get("address", ""),
                partners=data.get("partners", ""),
                next_review_on=data.get("next_review_on"),
                owner=data.get("owner"),
            )
            obj.pk = created.pk
            return
        changes = {k: data[k] for k in form.changed_data}
        if changes:
            services.concern_update(concern=obj.pk, actor=request.user, **changes)


@admin.register(Patrol)
class PatrolAdmin(ServiceAdmin, MapAdmin):
    list_display = ("call_sign", "kind", "status", "area", "last_position_at")
    list_filter = ("status", "kind", "area")
    search_fields = ("call_sign", "vehicle_id")
    filter_horizontal = ("members",)
    readonly_fields = ("last_position", "last_position_at")
    fields = (
        "call_sign",
        "kind",
        "status",
        "area",
        "members",
        "vehicle_id",
        "shift_starts_at",
        "shift_ends_at",
        "last_position",
        "last_position_at",
    )
    # What patrol_update and patrol_set_status change.
    changeable = (
        "call_sign",
        "kind",
        "area",
        "members",
        "vehicle_id",
        "shift_starts_at",
        "shift_ends_at",
        "status",
    )

    def save_model(self, request: HttpRequest, obj: Patrol, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.patrol_create(
                call_sign=data["call_sign"],
                kind=data["kind"],
                area=data.get("area"),
                status=data["status"],
                members=list(data.get("members") or []),
                vehicle_id=data.get("vehicle_id"),
                shift_starts_at=data.get("shift_starts_at"),
                shift_ends_at=data.get("shift_ends_at"),
            )
            obj.pk = created.pk
            return
        changes = {k: data[k] for k in form.changed_data if k not in ("members", "status")}
        members = list(data["members"]) if "members" in form.changed_data else None
        if changes or members is not None:
            services.patrol_update(patrol=obj.pk, actor=request.user, members=members, **changes)
        if "status" in form.changed_data:
            services.patrol_set_status(patrol=obj.pk, status=data["status"], actor=request.user)


@admin.register(FollowUp)
class FollowUpAdmin(ServiceAdmin):
    list_display = (
        "title",
        "incident",
        "concern",
        "assignee",
        "assignee_patrol",
        "due_at",
        "status",
        "tell_resident",
    )
    list_filter = ("status", "tell_resident")
    raw_id_fields = ("incident", "concern")
    readonly_fields = ("status", "outcome", "completed_at", "resident_told_at", "assigned_by")
    fields = (
        "incident",
        "concern",
        "title",
        "assignee",
        "assignee_patrol",
        "due_at",
        "tell_resident",
        *readonly_fields,
    )
    # What followup_reassign changes; the rest is the follow-up's own record.
    changeable = ("assignee", "assignee_patrol", "due_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is not None and not obj.is_open:
            return self.fields  # done or cancelled: only an open follow-up is reassigned
        return super().get_readonly_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: FollowUp, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            created = services.followup_assign(
                actor=request.user,
                incident=data.get("incident"),
                concern=data.get("concern"),
                title=data["title"],
                due_at=data["due_at"],
                assignee=data.get("assignee"),
                assignee_patrol=data.get("assignee_patrol"),
                tell_resident=data.get("tell_resident", False),
            )
            obj.pk = created.pk
            return
        if form.changed_data:
            services.followup_reassign(
                followup=obj.pk,
                actor=request.user,
                assignee=data.get("assignee"),
                assignee_patrol=data.get("assignee_patrol"),
                due_at=data["due_at"] if "due_at" in form.changed_data else None,
            )
