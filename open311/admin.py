"""Admin: administrators issue, rotate and revoke client keys (a key is shown once, on the page
after the action) and say how each category is offered, with its attributes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from incidents.errors import InvalidInput

from . import services
from .models import ClientApplication, ServiceAttribute, ServiceRequest, ServiceSettings


def _show_key_once(request: HttpRequest, client: ClientApplication, key: str) -> None:
    messages.warning(
        request,
        _("API key of %(name)s (shown only now; store it in the client application): %(key)s")
        % {"name": client.name, "key": key},
    )


@admin.register(ClientApplication)
class ClientApplicationAdmin(admin.ModelAdmin):
    list_display = ("name", "contact", "key_hint", "created_at", "revoked_at")
    search_fields = ("name", "contact")
    readonly_fields = ("key_hint", "created_at", "revoked_at")
    actions = ["revoke", "rotate_key"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # The name is the incidents' source (open311:<name>): fixed once issued.
        return (*self.readonly_fields, "name") if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ClientApplication, form: Any, change: bool):  # type: ignore[no-untyped-def]
        if change:
            obj.save(update_fields=["contact"])
            return
        try:
            client, key = services.client_create(name=obj.name, contact=obj.contact)
        except InvalidInput as exc:  # the form validated already; a race on the name lands here
            raise ValidationError(str(exc)) from exc
        obj.pk = client.pk
        _show_key_once(request, client, key)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: posted incidents keep their source

    @admin.action(description=gettext_lazy("Revoke the key"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ClientApplication]) -> None:
        for client in queryset:
            services.client_revoke(client=client)
        self.message_user(request, _("%(n)d key(s) revoked.") % {"n": queryset.count()})

    @admin.action(description=gettext_lazy("Issue a new key (the old one stops working)"))
    def rotate_key(self, request: HttpRequest, queryset: QuerySet[ClientApplication]) -> None:
        for client in queryset:
            _show_key_once(request, client, services.client_rotate_key(client=client))


class ServiceAttributeInline(admin.StackedInline):
    model = ServiceAttribute
    extra = 0


@admin.register(ServiceSettings)
class ServiceSettingsAdmin(admin.ModelAdmin):
    list_display = ("category", "published", "generalise_location", "group")
    list_filter = ("published", "generalise_location")
    inlines = [ServiceAttributeInline]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    """Read-only: what a client posted (the reporter's contact stays with the incident)."""

    list_display = ("incident", "client", "created_at")
    list_filter = ("client",)
    readonly_fields = ("incident", "client", "attributes", "media_url", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
