"""manage.py sync_source NAME: run one source now, in this process (for scripts and cron)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.errors import InvalidInput
from integrations import services
from integrations.models import Source, SyncRun


class Command(BaseCommand):
    help = "Run a source's sync now, in this process; exits with an error if the run fails."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The source's name.")
        parser.add_argument(
            "--queue",
            action="store_true",
            help="Queue the run for a Celery worker instead of running it here.",
        )

    def handle(self, *args: Any, name: str, queue: bool = False, **options: Any) -> None:
        source = Source.objects.filter(name=name).first()
        if source is None:
            known = ", ".join(Source.objects.values_list("name", flat=True)) or "none"
            raise CommandError(f"No source named '{name}' (known: {known}).")
        try:
            if queue:
                run, created = services.run_now(source=source)
                state = "queued" if created else f"already {run.status}"
                self.stdout.write(f"Run {run.pk} of {name}: {state}.")
                return
            run = services.run_inline(source=source)
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        counts = ", ".join(f"{field} {getattr(run, field)}" for field in SyncRun.COUNTS)
        line = f"Run {run.pk} of {name}: {run.status} ({counts})."
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(f"{line} {run.error}")
        self.stdout.write(self.style.SUCCESS(line))
        if run.notes:  # it took over a run whose worker had died
            self.stdout.write(run.notes)
        if run.rejected:
            self.stdout.write(f"{run.rejected} record(s) rejected; see the source's page.")
