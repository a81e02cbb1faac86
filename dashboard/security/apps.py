"""The admin app with Koban's admin site (second factor required) as its default site."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class KobanAdminConfig(AdminConfig):
    default_site = "dashboard.security.admin_site.KobanAdminSite"
