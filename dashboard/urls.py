"""Dashboard pages and the API."""

from django.urls import include, path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.operations, name="operations"),
    path("api/", include("dashboard.api.urls")),
]
