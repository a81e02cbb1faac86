"""Dashboard pages."""

from django.urls import include, path

from . import audit, views

app_name = "dashboard"
urlpatterns = [
    path("", views.operations, name="operations"),
    path("followups/", views.followup_board, name="followups"),
    path("my-work/", views.my_work, name="my_work"),
    path("audit/", audit.access_log, name="audit_access"),
    path("audit/history/", audit.change_history, name="audit_history"),
    # Supervisors' shift briefing and closure-quality charts (issue 16, dashboard/insight/).
    path("insight/", include("dashboard.insight.urls")),
]
