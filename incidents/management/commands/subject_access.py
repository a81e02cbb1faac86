"""Answer a subject access request: one JSON file and a readable HTML file with everything
Koban holds about a resident (docs/privacy.md). The export is logged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.loader import render_to_string
from django.utils import timezone

from incidents import roles
from incidents.errors import InvalidInput
from incidents.services.subject_access import subject_access_export


class Command(BaseCommand):
    help = "Everything held about one resident (by phone, e-mail or name), as JSON and HTML."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--phone")
        which.add_argument("--email")
        which.add_argument("--name")
        parser.add_argument(
            "--by", required=True, help="username of the supervisor, administrator or auditor"
        )
        parser.add_argument("--reason", default="", help="e.g. the request's reference")
        parser.add_argument("--out", default=".", help="folder for the two files")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = get_user_model().objects.filter(username=opts["by"], is_active=True).first()
        if user is None or not roles.may_audit(user):
            raise CommandError("--by must name an active supervisor, administrator or auditor.")
        out = Path(opts["out"])
        if not out.is_dir():
            raise CommandError(f"{out} is not a folder.")
        try:
            answer = subject_access_export(
                requested_by=user,
                phone=opts["phone"] or "",
                email=opts["email"] or "",
                name=opts["name"] or "",
                reason=opts["reason"],
            )
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        stem = f"subject-access-{timezone.now():%Y%m%dT%H%M%S}"
        json_path = out / f"{stem}.json"
        html_path = out / f"{stem}.html"
        json_path.write_text(json.dumps(answer, ensure_ascii=False, indent=2), encoding="utf-8")
        html_path.write_text(
            render_to_string("privacy/subject_access.html", {"answer": answer}), encoding="utf-8"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(answer['incidents'])} incident(s), {len(answer['accesses'])} access "
                f"row(s): {json_path} {html_path}"
            )
        )
