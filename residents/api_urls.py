"""/api/v1/ routes of the resident loop (mounted next to dashboard.api.urls)."""

from __future__ import annotations

from django.urls import path

from . import api

app_name = "residents-api"

urlpatterns = [
    path(
        "followups/<int:pk>/resident-message/",
        api.ResidentMessageView.as_view(),
        name="resident-message",
    ),
    path(
        "followups/<int:pk>/resident-message/send/",
        api.ResidentMessageSendView.as_view(),
        name="resident-message-send",
    ),
    path(
        "incidents/<int:pk>/reporter-language/",
        api.ReporterLanguageView.as_view(),
        name="reporter-language",
    ),
    path(
        "concerns/<int:pk>/resident-feedback/",
        api.ConcernFeedbackView.as_view(),
        name="concern-feedback",
    ),
    path("resident-feedback/", api.FeedbackListView.as_view(), name="feedback-list"),
]
