"""Admin: sources are written through the services (validation, beat schedule); runs and
rejected records are read-only records of what happened."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from incidents.errors import InvalidInput

from . import services
from .forms import LimitedJSONField
from .models import RejectedRecord, Source, SyncRun


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SourceAdminForm(forms.ModelForm):
    """Validates with the service, so the admin refuses what the pages and the API refuse."""

    class Meta:
        model = Source
        fields = ("name", "adapter", "description", "config", "schedule", "enabled")
        field_classes = {"config": LimitedJSONField}  # deep nesting: a field error, not a 500

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            services.source_check(
                name=data.get("name") or self.instance.name,
                adapter=data.get("adapter", ""),
                config=data.get("config"),
                schedule=data.get("schedule", ""),
                description=data.get("description", ""),
                instance=self.instance if self.instance.pk else None,
            )
        except InvalidInput as exc:
            for key, messages in exc.errors.items():
                field = key.split(".", 1)[0]
                for message in messages:
                    if field in self.fields:
                        self.add_error(field, f"{key}: {message}" if "." in key else message)
                    else:
                        self.add_error(None, f"{key}: {message}")
        return data


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceAdminForm
    list_display = ("name", "adapter", "enabled", "schedule", "updated_at")
    list_filter = ("adapter", "enabled")
    search_fields = ("name", "description")
    readonly_fields = ("cursor", "periodic_task", "created_at", "updated_at")
    fields = ("name", "adapter", "description", "config", "schedule", "enabled", *readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (*self.readonly_fields, "name") if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Source, form: Any, change: bool) -> None:
        values = {k: form.cleaned_data[k] for k in services.sources.EDITABLE}
        if change:
            services.source_update(source=obj, **values)
        else:
            obj.pk = services.source_create(name=form.cleaned_data["name"], **values).pk

    def delete_model(self, request: HttpRequest, obj: Source) -> None:
        services.source_delete(source=obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for source in queryset:
            services.source_delete(source=source)


@admin.register(SyncRun)
class SyncRunAdmin(_ReadOnly):
    list_display = ("id", "source", "status", "trigger", "queued_at", "created", "rejected")
    list_filter = ("status", "trigger", "source")
    exclude = ("upload",)


@admin.register(RejectedRecord)
class RejectedRecordAdmin(_ReadOnly):
    list_display = ("id", "source", "external_id", "status", "times_seen", "updated_at")
    # The raw payload only with residents' personal fields masked (integrations.masking).
    exclude = ("payload",)
    readonly_fields = ("masked_payload",)
    list_filter = ("status", "source")
    search_fields = ("external_id", "reason")
