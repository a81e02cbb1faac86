"""Pages residents reach without logging in (links in messages)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    path("feedback/<str:token>/", views.feedback, name="feedback"),
]
