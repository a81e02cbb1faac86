"""manage.py export_sources: every source as YAML, in the format apply_sources reads."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from integrations import services


class Command(BaseCommand):
    help = "Write every source as YAML (the apply_sources format) to standard output."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(services.sources_export(), ending="")
