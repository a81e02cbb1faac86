"""Messages and answers in the admin, read-only: they change only through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import ResidentFeedback, ResidentMessage


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ResidentMessage)
class ResidentMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "followup", "incident", "language", "channel", "status", "sent_at")
    list_filter = ("status", "channel", "language")
    exclude = ("feedback_nonce",)


@admin.register(ResidentFeedback)
class ResidentFeedbackAdmin(ReadOnlyAdmin):
    list_display = ("id", "followup", "score", "answered_at")
    list_filter = ("score",)
