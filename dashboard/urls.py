"""Dashboard pages."""

from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.operations, name="operations"),
    path("followups/", views.followup_board, name="followups"),
    path("my-work/", views.my_work, name="my_work"),
]
