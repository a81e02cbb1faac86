"""Integrations API routes under /api/v1/integrations/ (Integrator or Administrator only)."""

from __future__ import annotations

from django.urls import path

from .api import views

app_name = "integrations-api"
urlpatterns = [
    path("adapters/", views.AdapterListView.as_view(), name="adapters"),
    path("sources/", views.SourceListCreateView.as_view(), name="sources"),
    path("sources/<int:pk>/", views.SourceDetailView.as_view(), name="source"),
    path("sources/<int:pk>/run/", views.SourceRunView.as_view(), name="source-run"),
    path(
        "sources/<int:pk>/test-connection/",
        views.SourceTestConnectionView.as_view(),
        name="source-test-connection",
    ),
    path("sources/<int:pk>/runs/", views.SourceRunsView.as_view(), name="source-runs"),
    path("test-connection/", views.TestConnectionView.as_view(), name="test-connection"),
    path("runs/<int:pk>/", views.RunDetailView.as_view(), name="run"),
    path("rejected/", views.RejectedListView.as_view(), name="rejected"),
    path("rejected/<int:pk>/replay/", views.RejectedReplayView.as_view(), name="rejected-replay"),
    path(
        "rejected/<int:pk>/dismiss/", views.RejectedDismissView.as_view(), name="rejected-dismiss"
    ),
]
