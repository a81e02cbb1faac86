"""Log-in lockout (django-axes): a limit per username and a larger one per address, one cool-off,
and the answer a locked-out client gets (429: JSON on the API, a page on the forms)."""

from __future__ import annotations

import math
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

LOCKED_STATUS = 429


class LockoutHandler(AxesDatabaseHandler):
    """axes compares one number with one limit; this reports the username's failures, or the
    address's scaled onto the username limit, whichever is nearer its own limit, so each
    parameter locks at its own limit (AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"])."""

    def get_failures(self, request: Any, credentials: dict | None = None) -> int:
        by_username, by_address = (
            attempts.values_list("failures_since_start", flat=True)
            for attempts in self.get_user_attempts(request, credentials)
        )
        username_failures = sum(by_username) if self._has_username(request, credentials) else 0
        address_failures = sum(by_address)
        per_username = settings.KOBAN_LOGIN_FAILURES_PER_USERNAME
        per_address = settings.KOBAN_LOGIN_FAILURES_PER_ADDRESS
        # floor(a * U / A) >= U exactly when a >= A.
        scaled = math.floor(address_failures * per_username / per_address)
        return max(username_failures, scaled)

    @staticmethod
    def _has_username(request: Any, credentials: dict | None) -> bool:
        from axes.helpers import get_client_username

        return bool(get_client_username(request, credentials))


def _minutes() -> int:
    cool_off = get_cool_off()
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_message() -> str:
    minutes = _minutes()
    return ngettext(
        "Too many failed log-in attempts. Try again in %(minutes)d minute.",
        "Too many failed log-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """The API gets a 429 with Retry-After; a form gets a readable page with the same status."""
    retry_after = str(_minutes() * 60)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": lockout_message(), "code": "locked_out"}, status=LOCKED_STATUS
        )
    else:
        response = render(
            request,
            "registration/locked_out.html",
            {"message": lockout_message(), "title": _("Log-in locked")},
            status=LOCKED_STATUS,
        )
    response["Retry-After"] = retry_after
    return response
