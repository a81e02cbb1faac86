"""Dashboard pages."""

from django.urls import include, path

from . import audit, public, views

app_name = "dashboard"
urlpatterns = [
    path("", views.operations, name="operations"),
    path("followups/", views.followup_board, name="followups"),
    path("my-work/", views.my_work, name="my_work"),
    path("audit/", audit.access_log, name="audit_access"),
    path("audit/history/", audit.change_history, name="audit_history"),
    # "You said, we did": public only where an administrator opened the parish's page.
    path("parishes/", public.parish_index, name="public_parishes"),
    path("parishes/<slug:code>/", public.parish_page, name="public_parish"),
    path("parishes/<slug:code>/csv/", public.parish_csv, name="public_parish_csv"),
    # Supervisors' shift briefing and closure-quality charts (issue 16, dashboard/insight/).
    path("insight/", include("dashboard.insight.urls")),
]
