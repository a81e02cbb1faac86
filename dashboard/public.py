"""A parish's "you said, we did" page: what residents raised, what was promised, what was done
and what is late. Public only where an administrator opened it; otherwise staff only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dashboard.csvexport import csv_response
from incidents import roles
from incidents.models import Area
from incidents.selectors_public import public_concerns, public_parish, public_parishes

# The languages a resident may read the page in (the staff interface has only pt-PT and en).
PUBLIC_LANGUAGES = (
    ("pt-pt", "Português"),
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
)


def _language(request: HttpRequest) -> str:
    wanted = request.GET.get("lang", "")
    codes = [code for code, _name in PUBLIC_LANGUAGES]
    if wanted in codes:
        return wanted
    current = translation.get_language() or "pt-pt"
    return current if current in codes else "pt-pt"


def _staff(request: HttpRequest) -> bool:
    return roles.is_operational(request.user)


def _parish_view(
    view: Callable[[HttpRequest, Area], HttpResponse],
) -> Callable[[HttpRequest, str], HttpResponse]:
    """The parish a page is about, looked up once. A page the administrator has not opened
    sends anonymous visitors to log in and is a 404 for people without an operational role."""

    @wraps(view)
    def wrapper(request: HttpRequest, code: str) -> HttpResponse:
        area = public_parish(code)
        if area is not None and not area.public_page and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if area is None or not (area.public_page or _staff(request)):
            raise Http404
        return view(request, area)

    return wrapper


@require_GET
def parish_index(request: HttpRequest) -> HttpResponse:
    parishes = [a for a in public_parishes() if a.public_page or _staff(request)]
    if not parishes and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    language = _language(request)
    with translation.override(language):
        return render(
            request,
            "public/index.html",
            {"parishes": parishes, "language": language, "languages": PUBLIC_LANGUAGES},
        )


@require_GET
@_parish_view
def parish_page(request: HttpRequest, area: Area) -> HttpResponse:
    language = _language(request)
    with translation.override(language):
        return render(
            request,
            "public/parish.html",
            {
                "area": area,
                "concerns": public_concerns(area),
                "today": timezone.localdate(),
                "language": language,
                "languages": PUBLIC_LANGUAGES,
                "preview": not area.public_page,
            },
        )


@require_GET
@_parish_view
def parish_csv(request: HttpRequest, area: Area) -> HttpResponse:
    """One row per promise or action, for the partnership meeting's minutes."""
    with translation.override(_language(request)):
        header = [
            _("Reference"),
            _("Concern"),
            _("Category"),
            _("Priority"),
            _("Status"),
            _("Entry"),
            _("What"),
            _("Who"),
            _("By when"),
            _("Done on"),
            _("Late"),
        ]
        rows: list[list[str]] = []
        for concern in public_concerns(area):
            head = [concern.reference, concern.title, concern.category, concern.priority]
            head.append(concern.status)
            entries = [(_("Promise"), e) for e in concern.promises]
            entries += [(_("Action taken"), e) for e in concern.actions]
            if not entries:
                rows.append([*head, "", "", "", "", "", ""])
            for label, entry in entries:
                due = entry.due_on.isoformat() if entry.due_on else ""
                done = entry.done_on.isoformat() if entry.done_on else ""
                late = _("yes") if entry.late else ""
                rows.append([*head, label, entry.text, entry.who, due, done, late])
        # Built inside the language override: a streamed body would render after it ends.
        return csv_response(f"parish-{area.code}", header, rows)
