"""Thin views of the insight pages: parse the query, call one selector, render or serialise.

Supervisors and administrators only (officers get 403); what they see goes through the
visibility selectors inside `incidents.selectors_insight` and `incidents.selectors_briefing`.
Residents' feedback comes from `residents.selectors` and is composed here: the domain's insight
selectors do not know the resident loop.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import roles
from incidents.models import Area, Category
from incidents.selectors_briefing import shift_briefing
from incidents.selectors_insight import InsightScope, closure_quality
from residents.selectors import feedback_scores, feedback_summary

from ..api.permissions import SeesEverything
from .export import chart_strings, closure_csv_rows
from .forms import BriefingForm, ExportForm, InsightFilterForm

View = Callable[..., HttpResponse]


def supervisor_page(view: View) -> View:
    """Signed in, and a supervisor or an administrator; anyone else gets 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not roles.sees_everything(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def closure_figures(user: Any, scope: InsightScope, only: str | None = None) -> dict[str, Any]:
    """The closure-quality figures (one query per chart) with the residents' feedback scores,
    or one chart's (`only`)."""
    data = closure_quality(user, scope, only=only)
    if only in (None, "feedback"):
        data["feedback"] = feedback_scores(user, scope)
    return data


def _parishes():
    return Area.objects.filter(kind=Area.Kind.PARISH).only("id", "name")


@supervisor_page
def briefing(request: HttpRequest) -> HttpResponse:
    form = BriefingForm.from_query(request.GET)
    context: dict[str, Any] = {"form": form, "parishes": _parishes()}
    if not form.is_valid():
        return render(request, "dashboard/briefing.html", context, status=400)
    data = form.cleaned_data
    context["briefing"] = shift_briefing(
        request.user,
        areas=tuple(data.get("area") or ()),
        start=data.get("since"),
        end=data.get("until"),
    )
    context["selected_areas"] = set(data.get("area") or ())
    brief = context["briefing"]
    context["feedback"] = feedback_summary(
        request.user,
        InsightScope(start=brief.start, end=brief.end, areas=tuple(data.get("area") or ())),
    )
    return render(request, "dashboard/briefing.html", context)


@supervisor_page
def closure(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/closure.html",
        {
            "parishes": _parishes(),
            "categories": Category.objects.filter(active=True),
            "insight_strings": chart_strings(),
        },
    )


class ClosureDataView(APIView):
    """The figures the closure-quality charts draw, for the map's filters (JSON)."""

    permission_classes = [IsAuthenticated, SeesEverything]
    renderer_classes = [JSONRenderer]

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        form = InsightFilterForm.from_query(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        return Response(closure_figures(request.user, form.scope()))


@supervisor_page
def closure_export(request: HttpRequest) -> HttpResponse:
    """One chart's table as CSV (the same figures as the page)."""
    form = ExportForm.from_query(request.GET)
    if not form.is_valid():
        return HttpResponse(form.errors.as_text(), status=400, content_type="text/plain")
    chart = form.cleaned_data["chart"]
    breakdown = form.cleaned_data.get("breakdown") or "week"
    rows = closure_csv_rows(
        closure_figures(request.user, form.scope(), only=chart), chart, breakdown
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    grouped = chart in ("response_times", "feedback")
    name = f"koban-{chart}-{breakdown}.csv" if grouped else f"koban-{chart}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    csv.writer(response).writerows(rows)
    return response
