"""Pages: thin views (login required, role checked, render). Data comes from the REST API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from incidents import roles
from incidents.models import Area, Category

View = Callable[..., HttpResponse]


def operational_page(view: View) -> View:
    """Operational data is for officers, supervisors and administrators only.

    Integrators are sent to their own pages, auditors to the logs; anyone else gets 403.
    """

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not roles.is_operational(request.user):
            if roles.is_integrator(request.user):
                return redirect("integrations:sources")
            if roles.may_audit(request.user):
                return redirect("dashboard:audit_access")
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@operational_page
def operations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/operations.html",
        {
            "categories": Category.objects.filter(active=True),
            "parishes": Area.objects.filter(kind=Area.Kind.PARISH).only("id", "name"),
        },
    )


@operational_page
def followup_board(request: HttpRequest) -> HttpResponse:
    """Supervisors' board; officers work from their own list instead."""
    if not roles.sees_everything(request.user):
        return redirect("dashboard:my_work")
    return render(request, "dashboard/board.html")


@operational_page
def my_work(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboard/my_work.html")
