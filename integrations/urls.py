"""Integrations pages for IT staff (Integrator or Administrator)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("", views.SourceListView.as_view(), name="sources"),
    path("new/", views.SourceFormView.as_view(), name="source-new"),
    path("<int:pk>/", views.SourceDetailView.as_view(), name="source"),
    path("<int:pk>/edit/", views.SourceFormView.as_view(), name="source-edit"),
    path("<int:pk>/test/", views.SourceTestView.as_view(), name="source-test"),
    path("<int:pk>/run/", views.SourceRunView.as_view(), name="source-run"),
    path("<int:pk>/delete/", views.SourceDeleteView.as_view(), name="source-delete"),
    path("<int:pk>/replay-open/", views.ReplayOpenView.as_view(), name="replay-open"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/progress/", views.RunProgressView.as_view(), name="run-progress"),
    path(
        "rejected/<int:pk>/replay/",
        views.RejectedActionView.as_view(),
        {"action": "replay"},
        name="rejected-replay",
    ),
    path(
        "rejected/<int:pk>/dismiss/",
        views.RejectedActionView.as_view(),
        {"action": "dismiss"},
        name="rejected-dismiss",
    ),
]
