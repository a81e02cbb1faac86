"""Admin pages for API tokens and authenticator devices: see and revoke, never read a secret.

A token's text is never stored (only knox's digest and its first characters) and a device's
key is never shown: administrators list, search and delete (a lost phone, a leaked token).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken as KnoxAuthToken

from .models import APIToken
from .security import tokens


class _SeeAndDeleteOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(APIToken)
class APITokenAdmin(_SeeAndDeleteOnly):
    list_display = ("name", "user", "created", "expiry", "key_prefix", "valid")
    list_filter = ("created", "expiry")
    search_fields = ("name", "user__username", "token_key")
    list_select_related = ("user",)
    fields = ("name", "user", "created", "expiry", "key_prefix")
    readonly_fields = fields
    ordering = ("-created",)

    @admin.display(description=_("key starts with"), ordering="token_key")
    def key_prefix(self, obj: APIToken) -> str:
        return f"{obj.token_key[:8]}…"

    @admin.display(description=_("valid"), boolean=True)
    def valid(self, obj: APIToken) -> bool:
        """False once expired or its owner changed password or was deactivated (the row goes
        when the token is next presented, or when its owner makes a new one)."""
        return tokens.token_still_valid(obj)

    def delete_model(self, request: HttpRequest, obj: APIToken) -> None:
        tokens.api_token_revoke(token=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[APIToken]) -> None:
        for token in queryset:
            tokens.api_token_revoke(token=token)


for model in (KnoxAuthToken, TOTPDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(_SeeAndDeleteOnly):
    """Delete a device to let its owner enrol a new phone at the next log-in."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "name")
    list_select_related = ("user",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at", "throttling_failure_count")
    readonly_fields = fields
