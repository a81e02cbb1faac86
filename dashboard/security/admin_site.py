"""The admin site: staff only, and only in a session verified with a second factor."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django_otp.admin import OTPAdminSite


class KobanAdminSite(OTPAdminSite):
    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        from .views import admin_login

        return admin_login(request)
