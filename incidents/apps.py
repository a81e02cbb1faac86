from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Operations")

    def ready(self) -> None:
        from .setup import ensure_base_rows

        # Setup, not a business rule: role groups and categories exist in every database.
        post_migrate.connect(ensure_base_rows, sender=self, dispatch_uid="koban_ensure_groups")
