"""Reference data (areas, stations, categories, access purposes, officers' areas) and the
read-only records: positions, timeline, outbox, access log."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ..models import (
    AccessPurpose,
    Area,
    Category,
    OfficerProfile,
    OutboxEvent,
    PatrolPosition,
    PersonalDataAccess,
    PoliceStation,
    TimelineEntry,
)
from .base import MapAdmin, ReadOnlyAdmin


@admin.register(Area)
class AreaAdmin(MapAdmin):
    list_display = ("name", "code", "kind", "parent")
    list_filter = ("kind",)
    search_fields = ("name", "code")

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
