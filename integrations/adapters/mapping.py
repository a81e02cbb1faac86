"""Turning a flat record (a CSV row, a feature's properties) into an incident by field mapping."""

from __future__ import annotations

from typing import Any

from ..schemas import IncidentMapping
from . import values
from .base import MappedIncident, MappingError


def _field(record: dict[str, Any], spec: str | None, name: str) -> Any:
    try:
        return values.pick(record, spec)
    except MappingError as exc:
        raise MappingError(f"fields.{name}: {exc}") from None


def incident_from_fields(
    record: dict[str, Any], config: IncidentMapping, location: tuple[float, float] | None
) -> MappedIncident:
    fields = config.fields
    external_id = values.text(_field(record, fields.external_id, "external_id"))
    if not external_id:
        raise MappingError(f"fields.external_id: '{fields.external_id}' is empty.")
    if fields.category is None:
        category = config.categories["default"]
    else:
        category = values.lookup(
            config.categories, _field(record, fields.category, "category"), "category", "categories"
        )
    status = None
    if fields.status is not None:
        upstream = values.text(_field(record, fields.status, "status"))
        if upstream or "default" in config.status_map:
            status = values.lookup(config.status_map, upstream, "status", "status_map")

    def when(name: str) -> Any:
        spec = getattr(fields, name)
        if spec is None:
            return None
        return values.moment(
            _field(record, spec, name), f"fields.{name}", tz=config.timezone, fmt=config.date_format
        )

    return MappedIncident(
        external_id=external_id,
        category=category,
        status=status,
        priority=config.priority,
        title=values.text(_field(record, fields.title, "title")),
        description=str(_field(record, fields.description, "description") or "").strip(),
        address=values.text(_field(record, fields.address, "address")),
        location=location,
        reported_at=when("reported_at"),
        occurred_at=when("occurred_at"),
    )
