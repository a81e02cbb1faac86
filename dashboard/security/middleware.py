"""Session rules on every request: the idle limit and the shift cap, then the second factor
before anything else.

A user who needs a second factor (two_factor.needs_second_factor) and whose session has not
given it reaches only the views marked `before_second_factor` (log-in, code, enrolment,
log-out, language): pages redirect to the code or enrolment page, the API answers 403.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from . import sessions, two_factor

# Views (namespaced URL names) a signed-in user who still owes the second factor may reach.
OPEN_BEFORE_SECOND_FACTOR = {
    "login",
    "logout",
    "two-factor-verify",
    "two-factor-enrol",
    "set_language",
    "admin:login",
    "admin:logout",
}


class SessionRulesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            if sessions.AUTH_AT not in request.session:
                sessions.mark_login(request.session)
            elif sessions.expired(request.session):
                logout(request)
            else:
                sessions.note_request(request.session)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[union-attr]
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if request.path.startswith(settings.STATIC_URL):
            return None
        if not two_factor.needs_second_factor(user):
            return None
        return second_factor_response(request)


def second_factor_response(request: HttpRequest, next_url: str | None = None) -> HttpResponse:
    """Where a session that owes the second factor is sent instead of what it asked for."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "detail": _("Confirm your log-in with a code from your authenticator app."),
                "code": "second_factor_required",
            },
            status=403,
        )
    step = "two-factor-verify" if two_factor.has_device(request.user) else "two-factor-enrol"
    return HttpResponseRedirect(
        f"{reverse(step)}?{urlencode({'next': next_url or request.get_full_path()})}"
    )
