"""Admin for every model. Operational writes go through the services, like everywhere else;
the timeline, outbox and access log are read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.gis import admin as gis_admin
from django.contrib.gis.forms.widgets import OSMWidget
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .errors import NotAllowed
from .models import (
    AccessPurpose,
    Area,
    Category,
    FollowUp,
    Incident,
    NeighbourhoodConcern,
    OfficerProfile,
    OutboxEvent,
    Patrol,
    PatrolPosition,
    PersonalDataAccess,
    PoliceStation,
    RepeatPlaceDecision,
    RepeatPlaceProposal,
    RepeatPlaceRule,
    TimelineEntry,
)


class LocalOSMWidget(OSMWidget):
    """Django's map widget with OpenLayers served from static/vendor instead of a CDN."""

    default_lon = -9.14
    default_lat = 38.72
    default_zoom = 12

    class Media:
        extend = False
        css = {"all": ("vendor/ol/ol.css", "gis/css/ol3.css")}
        js = ("vendor/ol/ol.js", "gis/js/OLMapWidget.js")


class MapAdmin(gis_admin.GISModelAdmin):
    gis_widget = LocalOSMWidget


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Area)
class AreaAdmin(MapAdmin):
    list_display = ("name", "code", "kind", "parent", "public_page")
    list_filter = ("kind", "public_page")
    search_fields = ("name", "code")
    # Opened and closed by the actions, through the service (administrators only).
    readonly_fields = ("public_page",)
    actions = ("open_public_page", "close_public_page")

    @admin.action(description=_('Open the "you said, we did" page to everyone'))
    def open_public_page(self, request: HttpRequest, queryset: Any) -> None:
        self._set_public_page(request, queryset, enabled=True)

    @admin.action(description=_('Close the "you said, we did" page to the public'))
    def close_public_page(self, request: HttpRequest, queryset: Any) -> None:
        self._set_public_page(request, queryset, enabled=False)

    def _set_public_page(self, request: HttpRequest, queryset: Any, *, enabled: bool) -> None:
        try:
            for area in queryset:
                services.area_set_public_page(area=area, enabled=enabled, actor=request.user)
        except NotAllowed as exc:
            self.message_user(request, str(exc), level=messages.ERROR)


@admin.register(PoliceStation)
class PoliceStationAdmin(MapAdmin):
    list_display = ("name", "kind", "address", "area")
    list_filter = ("kind",)
    search_fields = ("name", "address")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_pt", "name_en", "active", "sort_order")
    list_editable = ("active", "sort_order")


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ("created_at", "kind", "actor", "actor_label", "from_status", "to_status", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(MapAdmin):
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
            return
        changes = {
            k: data[k]
            for k in form.changed_data
            if k
            in (
                "title",
                "description",
                "address",
                "priority",
                "occurred_at",
                "category",
                "location",
            )
        }
        if changes:
            services.incident_update(incident=obj.pk, actor=request.user, **changes)
        if "concern" in form.changed_data:
            services.incident_link_concern(
                incident=obj.pk, concern=data["concern"], actor=request.user
            )


# Reporters' contacts are not in the admin at all: the only way to see one is the logged,
# need-to-know reveal with a purpose (incidents.services.reporter_contact_reveal).


@admin.register(AccessPurpose)
class AccessPurposeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_pt", "name_en", "needs_text", "active", "sort_order")
    list_editable = ("active", "sort_order")


@admin.register(NeighbourhoodConcern)
class ConcernAdmin(MapAdmin):
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
    readonly_fields = ("reference", "status", "area", "created_at", "updated_at")
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
        allowed = (
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
        changes = {k: data[k] for k in form.changed_data if k in allowed}
        if changes:
            services.concern_update(concern=obj.pk, actor=request.user, **changes)


class PositionInline(admin.TabularInline):
    model = PatrolPosition
    fields = ("recorded_at", "location", "speed_kmh", "source")
    readonly_fields = fields
    extra = 0
    max_num = 0
    ordering = ("-recorded_at",)


@admin.register(Patrol)
class PatrolAdmin(MapAdmin):
    list_display = ("call_sign", "kind", "status", "area", "last_position_at")
    list_filter = ("status", "kind", "area")
    search_fields = ("call_sign", "vehicle_id")
    filter_horizontal = ("members",)
    readonly_fields = ("last_position", "last_position_at")


@admin.register(PatrolPosition)
class PatrolPositionAdmin(ReadOnlyAdmin, MapAdmin):
    list_display = ("patrol", "recorded_at", "source")
    list_filter = ("patrol",)


@admin.register(FollowUp)
class FollowUpAdmin(admin.ModelAdmin):
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
        services.followup_reassign(
            followup=obj.pk,
            actor=request.user,
            assignee=data.get("assignee"),
            assignee_patrol=data.get("assignee_patrol"),
            due_at=data["due_at"] if "due_at" in form.changed_data else None,
        )


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "incident_id", "concern_id", "actor_id", "actor_label")
    list_filter = ("kind",)


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "entity_type", "entity_id", "created_at")
    list_filter = ("kind",)


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "username", "action", "incident_id", "channel", "purpose_code", "purpose")
    list_filter = ("action", "channel", "purpose_code")


@admin.register(OfficerProfile)
class OfficerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "badge_number")
    filter_horizontal = ("areas",)


# --- Repeat places (issue 16): rules are the force's data; proposals are decided on the map ------


@admin.register(RepeatPlaceRule)
class RepeatPlaceRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "min_incidents", "distance_m", "window_days", "active")
    list_editable = ("min_incidents", "distance_m", "window_days", "active")


@admin.register(RepeatPlaceProposal)
class RepeatPlaceProposalAdmin(ReadOnlyAdmin):
    list_display = ("id", "category", "status", "incident_count", "area", "last_reported_at")
    list_filter = ("status", "category")


@admin.register(RepeatPlaceDecision)
class RepeatPlaceDecisionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "proposal_id", "action", "actor_id", "actor_label")
    list_filter = ("action",)
