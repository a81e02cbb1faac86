"""Integrations pages for IT staff."""

from django.urls import path
from django.views.generic import TemplateView

app_name = "integrations"
urlpatterns = [
    path("", TemplateView.as_view(template_name="layout.html"), name="sources"),
]
