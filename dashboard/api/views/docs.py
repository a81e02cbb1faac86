"""The documentation pages, served from the project (drf-spectacular-sidecar), no CDN."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.template import Context, Engine
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView
from rest_framework.request import Request

# The stock page also links Google Fonts; Redoc falls back to the system fonts without them.
_REDOC = Engine.get_default().from_string(
    """{% extends "drf_spectacular/redoc.html" %}
{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}"""
)


class RedocView(SpectacularRedocView):
    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        data = super().get(request, *args, **kwargs).data
        return HttpResponse(_REDOC.render(Context(data)))
