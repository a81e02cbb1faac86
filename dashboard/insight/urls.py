"""Insight pages, included under /insight/ in the dashboard's namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("briefing/", views.briefing, name="briefing"),
    path("closure/", views.closure, name="closure"),
    path("closure/data/", views.ClosureDataView.as_view(), name="closure_data"),
    path("closure/export.csv", views.closure_export, name="closure_export"),
]
