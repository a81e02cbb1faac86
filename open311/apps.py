from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class Open311Config(AppConfig):
    name = "open311"
    verbose_name = _("Open311 server")

    def ready(self) -> None:
        from .setup import ensure_sensitive_services

        # Setup, not a business rule: the default sensitive categories exist as data.
        post_migrate.connect(
            ensure_sensitive_services, sender=self, dispatch_uid="koban_open311_sensitive"
        )
