"""What every admin page of the domain shares: the local map widget, saving through services,
and read-only records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.gis import admin as gis_admin
from django.contrib.gis.forms.widgets import OSMWidget
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from ..errors import DomainError
from ..models import TimelineEntry


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


class ServiceAdmin(admin.ModelAdmin):
    """Saves through services (each subclass's save_model); operational rows are not deleted.

    A refusal by the domain rolls the whole change back (the admin's view is atomic) and is
    shown to the administrator with the field it names, instead of a server error.
    """

    # Fields a service may change on an existing row; every other shown field is read-only.
    changeable: tuple[str, ...] = ()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        readonly = tuple(self.readonly_fields)
        if obj is None:
            return readonly
        shown = self.fields or ()
        return (*readonly, *(f for f in shown if f not in self.changeable and f not in readonly))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Many-to-many fields go to the services with the rest; inlines are read-only records
        (the change message still lists what they saved: nothing)."""
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fields = ("created_at", "kind", "actor", "actor_label", "from_status", "to_status", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
