"""Load areas from any GeoJSON FeatureCollection of (Multi)Polygons."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from incidents.errors import InvalidInput
from incidents.models import Area
from incidents.services import area_import_geojson


class Command(BaseCommand):
    help = "Create or update areas (by code) from a GeoJSON file; invalid geometries refuse it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--name-property", default="name")
        parser.add_argument("--code-property", default="code")
        parser.add_argument("--kind", default=Area.Kind.PARISH, choices=Area.Kind.values)
        parser.add_argument("--parent-code", help="make/attach to this parent area (union)")
        parser.add_argument("--parent-name")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            counts = area_import_geojson(
                path=opts["file"],
                name_property=opts["name_property"],
                code_property=opts["code_property"],
                kind=opts["kind"],
                parent_code=opts["parent_code"],
                parent_name=opts["parent_name"],
            )
        except InvalidInput as exc:
            lines = [m for msgs in exc.errors.values() for m in msgs]
            raise CommandError("Nothing imported:\n  " + "\n  ".join(lines)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"areas: {counts.created} created, {counts.updated} updated, "
                f"{counts.unchanged} unchanged"
            )
        )
