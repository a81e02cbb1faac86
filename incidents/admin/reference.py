"""Reference data (areas, stations, categories, access purposes, officers' areas) and the
read-only records: positions, timeline, outbox, access log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .. import services
from ..errors import NotAllowed
from ..models import (
    AccessPurpose,
    Area,
    Category,
    OfficerProfile,
    OutboxEvent,
    PatrolPosition,
    PersonalDataAccess,
    PoliceStation,
    RepeatPlaceDecision,
    RepeatPlaceProposal,
    RepeatPlaceRule,
    TimelineEntry,
)
from .base import MapAdmin, ReadOnlyAdmin


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

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Deleting an area would take its incidents and concerns out of it with no timeline
        entry or event; boundaries change by importing them again (area_import_geojson)."""
        return False


@admin.register(PoliceStation)
class PoliceStationAdmin(MapAdmin):
    list_display = ("name", "kind", "address", "area")
    list_filter = ("kind",)
    search_fields = ("name", "address")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_pt", "name_en", "active", "sort_order")
    list_editable = ("active", "sort_order")


@admin.register(AccessPurpose)
class AccessPurposeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_pt", "name_en", "needs_text", "active", "sort_order")
    list_editable = ("active", "sort_order")


@admin.register(PatrolPosition)
class PatrolPositionAdmin(ReadOnlyAdmin, MapAdmin):
    list_display = ("patrol", "recorded_at", "source")
    list_filter = ("patrol",)


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
