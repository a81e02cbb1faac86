"""The audit pages: search the access log and the change history, export them to CSV. For
supervisors, administrators and auditors; every search and export is itself logged."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dashboard.csvexport import csv_response
from incidents import audit, roles, services
from incidents.models import AccessPurpose, PersonalDataAccess

PAGE_ROWS = 200
CSV_MAX_ROWS = 100_000

View = Callable[..., HttpResponse]


def audit_page(view: View) -> View:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not roles.may_audit(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class AuditForm(forms.Form):
    person = forms.CharField(label=_("Person (username or name)"), max_length=150, required=False)
    item = forms.CharField(label=_("Item (reference)"), max_length=40, required=False)
    resident = forms.CharField(
        label=_("Resident (phone, e-mail or name)"), max_length=254, required=False
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    purpose = forms.ChoiceField(label=_("Purpose"), required=False)
    action = forms.ChoiceField(
        label=_("Action"),
        required=False,
        choices=[("", "—"), *PersonalDataAccess.Action.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["purpose"].choices = [
            ("", "—"),
            *((p.code, p.label(get_language())) for p in AccessPurpose.objects.all()),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Must not be before the start date."))
        for name in ("person", "item", "resident"):
            if "\x00" in (data.get(name) or ""):
                self.add_error(name, _("Invalid text."))
        return data

    def filters(self) -> audit.AuditFilters:
        return audit.AuditFilters(**self.cleaned_data)


def _search(request: HttpRequest, log: str, search: Callable[[audit.AuditFilters], Any]):
    form = AuditForm(request.GET or None)
    if request.GET and not form.is_valid():
        return form, None, None
    filters = form.filters() if request.GET else audit.AuditFilters()
    return form, filters, search(filters)


@audit_page
def access_log(request: HttpRequest) -> HttpResponse:
    form, filters, qs = _search(request, "access", audit.access_log_search)
    if qs is None:
        return render(request, "audit/access.html", {"form": form}, status=400)
    exported = request.GET.get("format") == "csv"
    rows = list(qs[: CSV_MAX_ROWS if exported else PAGE_ROWS])
    references = audit.incident_references({r.incident_id for r in rows if r.incident_id})
    services.audit_log_searched(
        user=request.user,
        log="access",
        filters=filters.for_log(),
        results=len(rows),
        exported=exported,
    )
    if exported:
        return csv_response(
            "access-log",
            ["at", "user", "action", "incident", "channel", "purpose_code", "purpose", "detail"],
            (
                [
                    r.at.isoformat(),
                    r.username or (r.user_id or "system"),
                    r.action,
                    references.get(r.incident_id, r.incident_id or ""),
                    r.channel,
                    r.purpose_code,
                    r.purpose,
                    json.dumps(r.detail, ensure_ascii=False) if r.detail else "",
                ]
                for r in rows
            ),
        )
    for r in rows:
        r.reference = references.get(r.incident_id, r.incident_id or "")
    return render(
        request,
        "audit/access.html",
        {"form": form, "rows": rows, "limited": len(rows) == PAGE_ROWS},
    )


@audit_page
def change_history(request: HttpRequest) -> HttpResponse:
    form, filters, qs = _search(request, "history", audit.history_search)
    if qs is None:
        return render(request, "audit/history.html", {"form": form}, status=400)
    exported = request.GET.get("format") == "csv"
    rows = list(qs[: CSV_MAX_ROWS if exported else PAGE_ROWS])
    names = audit.usernames(
        {int(r.pgh_context["user"]) for r in rows if (r.pgh_context or {}).get("user")}
    )
    for r in rows:
        context = r.pgh_context or {}
        r.actor = names.get(context.get("user"), "")
        r.origin = audit.describe_context(context)
    services.audit_log_searched(
        user=request.user,
        log="history",
        filters=filters.for_log(),
        results=len(rows),
        exported=exported,
    )
    if exported:
        return csv_response(
            "change-history",
            ["at", "table", "object", "event", "user", "origin", "data"],
            (
                [
                    r.pgh_created_at.isoformat(),
                    r.pgh_obj_model,
                    r.pgh_obj_id,
                    r.pgh_label,
                    r.actor,
                    r.origin,
                    json.dumps(r.pgh_data, ensure_ascii=False, default=str),
                ]
                for r in rows
            ),
        )
    return render(
        request,
        "audit/history.html",
        {"form": form, "rows": rows, "limited": len(rows) == PAGE_ROWS},
    )
