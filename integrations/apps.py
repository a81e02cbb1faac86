from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from .setup import ensure_reconcile_schedule, ensure_rejected_prune_schedule

        # Setup, not a business rule: beat's entry that recovers sync runs exists everywhere.
        post_migrate.connect(
            ensure_reconcile_schedule, sender=self, dispatch_uid="koban_ensure_reconcile"
        )
        post_migrate.connect(
            ensure_rejected_prune_schedule, sender=self, dispatch_uid="koban_rejected_prune"
        )
