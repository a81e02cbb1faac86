"""Integrations API routes (sources, sync runs, rejected records)."""

app_name = "integrations-api"
urlpatterns: list = []
