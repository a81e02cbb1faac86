"""Issue, rotate or revoke an Open311 client application's key from the command line; a new
key is printed once and only its hash is kept."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.errors import InvalidInput
from open311 import services
from open311.models import ClientApplication


class Command(BaseCommand):
    help = "Create an Open311 client application (prints its key once), rotate or revoke its key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "rotate", "revoke"])
        parser.add_argument(
            "name", help="Client name; its incidents get the source open311:<name>."
        )
        parser.add_argument("--contact", default="", help="Who runs the client application.")

    def handle(self, *args: Any, action: str, name: str, contact: str, **options: Any) -> None:
        if action == "create":
            try:
                client, key = services.client_create(name=name, contact=contact)
            except InvalidInput as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Client {client.name} created. API key (shown only now):")
            self.stdout.write(key)
            return
        client = ClientApplication.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"No Open311 client named {name!r}.")
        if action == "rotate":
            self.stdout.write(f"New API key of {client.name} (shown only now; the old one stops):")
            self.stdout.write(services.client_rotate_key(client=client))
        else:
            services.client_revoke(client=client)
            self.stdout.write(f"Key of {client.name} revoked.")
