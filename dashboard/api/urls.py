"""API routes: /api/v1/ and the OpenAPI schema with its documentation pages."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="dashboard:schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="dashboard:schema"), name="redoc"),
]
