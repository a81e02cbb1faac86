"""Load the Lisbon demo data (idempotent) and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from incidents.demo import DEMO_PASSWORDS, load_demo


class Command(BaseCommand):
    help = "Load the Lisbon demo: parishes, police points, patrols, incidents, concerns, users."

    def handle(self, *args: Any, **opts: Any) -> None:
        summary = load_demo()
        self.stdout.write(f"areas: {summary.areas}; stations: {summary.stations}")
        self.stdout.write(
            "demo operations data created"
            if summary.created
            else "demo operations data already present: nothing changed"
        )
        self.stdout.write("Demo logins (username / password):")
        for username, password in DEMO_PASSWORDS.items():
            self.stdout.write(f"  {username:15} {password}")
