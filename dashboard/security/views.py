"""Log-in in two steps: the password (Django's form, behind the lockout), then a code from an
authenticator app, or enrolment first for someone who must have one and has none."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import sessions, two_factor
from .forms import CodeForm
from .middleware import second_factor_response


def _next(request: HttpRequest, default: str | None = None) -> str:
    """The safe `next` of this request (GET or POST), else `default` or LOGIN_REDIRECT_URL."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or resolve_url(settings.LOGIN_REDIRECT_URL)


def _step(name: str, next_url: str) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': next_url})}")


def after_password(request: HttpRequest, next_url: str) -> HttpResponseRedirect:
    """Where a user goes once their password is right: the code, enrolment, or `next`."""
    user = request.user
    if two_factor.has_device(user):
        return _step("two-factor-verify", next_url)
    if two_factor.required_by_role(user):
        return _step("two-factor-enrol", next_url)
    return HttpResponseRedirect(next_url)


class LoginView(auth_views.LoginView):
    """Django's log-in form; the lockout (axes) answers for it once a limit is reached."""

    redirect_authenticated_user = False

    def form_valid(self, form: Any) -> HttpResponse:
        super().form_valid(form)
        sessions.mark_login(self.request.session)
        return after_password(self.request, self.get_success_url())


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin's log-in is Koban's: the same lockout and the same second factor."""
    index = reverse("admin:index")
    if request.user.is_authenticated and request.method == "GET":
        if request.user.is_staff and not request.user.is_verified():  # type: ignore[union-attr]
            return second_factor_response(request, next_url=_next(request, index))
        if request.user.is_staff:
            return HttpResponseRedirect(_next(request, index))
    return LoginView.as_view(next_page=index)(request)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the app the user enrolled."""
    next_url = _next(request)
    if request.user.is_verified():  # type: ignore[union-attr]
        return HttpResponseRedirect(next_url)
    if not two_factor.has_device(request.user):
        return _step("two-factor-enrol", next_url)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.verify_code(request=request, code=form.cleaned_data["code"]):
            return HttpResponseRedirect(next_url)
        form.add_error(
            "code",
            _(
                "That code is not right, or came too soon after a wrong one. Wait for the next "
                "code and try again."
            ),
        )
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": next_url})


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), confirm a code."""
    next_url = _next(request)
    if two_factor.has_device(request.user):
        return _step("two-factor-verify", next_url)
    device = two_factor.totp_device_start(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.totp_device_confirm(
            request=request, device=device, code=form.cleaned_data["code"]
        ):
            return HttpResponseRedirect(next_url)
        form.add_error(
            "code",
            _(
                "That code is not right. Check the time on your phone and "
                "type the code the app shows now."
            ),
        )
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": two_factor.qr_svg(device),
            "secret": two_factor.secret_text(device),
            "required": two_factor.required_by_role(request.user),
        },
    )
