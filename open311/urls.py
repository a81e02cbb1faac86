"""GeoReport v2 at /open311/v2/: the format is the resource's extension (.json or .xml)."""

from __future__ import annotations

from django.urls import path, register_converter

from . import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311_format")

urlpatterns = [
    path(
        "discovery.<open311_format:format>",
        views.DiscoveryView.as_view(),
        name="open311-discovery",
    ),
    path(
        "services.<open311_format:format>", views.ServiceListView.as_view(), name="open311-services"
    ),
    path(
        "services/<str:service_code>.<open311_format:format>",
        views.ServiceDefinitionView.as_view(),
        name="open311-service",
    ),
    path("requests.<open311_format:format>", views.RequestsView.as_view(), name="open311-requests"),
    path(
        "requests/<str:request_id>.<open311_format:format>",
        views.RequestDetailView.as_view(),
        name="open311-request",
    ),
]
