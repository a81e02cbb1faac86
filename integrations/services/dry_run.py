"""'Test connection': reach the remote system and map its first records, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.contrib.gis.geos import Point

from incidents.selectors import area_containing

from ..adapters import AdapterError, MappingError, registry
from ..adapters.http import Http
from ..masking import mask_payload, mask_text
from .sources import config_check

DEFAULT_LIMIT = 10


@dataclass
class DryRun:
    ok: bool
    message: str
    records: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "records": self.records}


def _area_name(lonlat: Any) -> str | None:
    if not lonlat:
        return None
    area = area_containing(Point(lonlat[0], lonlat[1], srid=4326))
    return area.name if area else None


def source_dry_run(
    *,
    adapter: str,
    config: dict[str, Any],
    limit: int = DEFAULT_LIMIT,
    cursor: dict[str, Any] | None = None,
    upload: bytes | None = None,
    upload_name: str = "",
) -> DryRun:
    """Check the connection and show the first `limit` records as they would be mapped.

    Invalid configuration raises InvalidInput (field messages); an unreachable or refusing
    remote is a DryRun with ok=False and the reason. Only reads: nothing is written.
    """
    parsed = config_check(adapter=adapter, config=config)
    kind = registry.get(adapter)
    records: list[dict[str, Any]] = []
    with Http(upload=upload if kind.accepts_upload else None, upload_name=upload_name) as http:
        try:
            message = kind.check(parsed, http)
        except AdapterError as exc:
            return DryRun(False, mask_text(str(exc)))
        pull = kind.pull(parsed, dict(cursor or {}), http)
        try:
            for raw in islice(pull, limit):
                entry: dict[str, Any] = {
                    "external_id": kind.external_id(raw, parsed),
                    "raw": mask_payload(raw, parsed.personal_fields),
                    "mapped": None,
                    "error": None,
                }
                try:
                    mapped = kind.map(raw, parsed).display()
                except MappingError as exc:
                    entry["error"] = mask_text(str(exc))
                else:
                    if "location" in mapped:
                        mapped["area"] = _area_name(mapped["location"])
                    entry["mapped"] = mapped
                records.append(entry)
        except AdapterError as exc:
            return DryRun(False, mask_text(f"{message} Reading records failed: {exc}"), records)
        finally:
            pull.close()
    return DryRun(True, message, records)
