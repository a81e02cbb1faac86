"""manage.py apply_sources FILE: create or update sources from a YAML file, all or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from integrations import services


class Command(BaseCommand):
    help = (
        "Create or update sources by name from a YAML file (see docs/integrations.md). "
        "If any entry is invalid nothing is written and every problem is listed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="YAML file, or - for standard input.")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        if file == "-":
            import sys

            text = sys.stdin.read()
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"{file}: no such file.")
            text = path.read_text(encoding="utf-8-sig")
        try:
            report = services.sources_apply(entries=services.sources_parse(text))
        except services.SourcesFileInvalid as exc:
            lines = [f"  {key}: {message}" for key, msgs in exc.errors.items() for message in msgs]
            raise CommandError(
                f"{file} was not applied; fix these and run again:\n" + "\n".join(lines)
            ) from exc
        for label, names in (
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
        ):
            if names:
                self.stdout.write(f"{label}: {', '.join(names)}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.created)} created, {len(report.updated)} updated, "
                f"{len(report.unchanged)} unchanged."
            )
        )
