"""What leaves Koban through Open311: the specification's fields, in its order, and only public
values. No reporter data, no internal notes, the address cut to the street, and the place of a
sensitive category generalised to its parish."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.utils import timezone
from django.utils.translation import get_language

from incidents.models import Category, Incident

from .models import ServiceAttribute, ServiceSettings
from .selectors import OPEN_STATUSES

# Street level: 3 decimals of a degree is about 100 m, enough for a map, not a door.
STREET_DECIMALS = 3
# Where a sensitive item has no parish: the centre of a cell of about 1 km.
GRID_DEGREES = 0.01

# A door number, a floor or flat, or a postcode: "45", "12-B", "n.º 5", "2º", "1000-001".
_DOOR = re.compile(r"^(n\.?[º°o]?\.?)?\d+([ºª°]|[a-z])?([-/]\d*[a-z]?)?\.?$", re.IGNORECASE)
_UNIT_WORDS = {
    "nº", "n.º", "n°", "no.", "n.", "#", "esq", "esq.", "dto", "dto.", "dta", "dta.", "fte",
    "frente", "r/c", "rc", "apt", "apt.", "apto", "apto.", "lote", "lt.", "andar", "piso", "cave",
    "flat", "unit", "suite",
}  # fmt: skip


def _is_door(token: str) -> bool:
    return bool(_DOOR.match(token)) or token.lower() in _UNIT_WORDS


def street_only(address: str) -> str:
    """The address without door number, floor, flat or postcode: "Rua de Arroios 45, 2º Esq,
    1150-001 Lisboa" becomes "Rua de Arroios, Lisboa"; "851 POST ST" becomes "POST ST"."""
    parts = []
    for segment in address.split(","):
        tokens = segment.split()
        while tokens and _is_door(tokens[-1]):
            tokens.pop()
        while tokens and _is_door(tokens[0]):
            tokens.pop(0)
        if tokens:
            parts.append(" ".join(tokens))
    return ", ".join(parts)


def w3c(moment: datetime | None) -> str | None:
    """A W3C date-time with its offset, in the force's time zone (2010-01-01T00:00:00+00:00)."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _settings_of(category: Category) -> ServiceSettings | None:
    return getattr(category, "open311", None)


def _grid(point: Point) -> tuple[float, float]:
    def snap(value: float) -> float:
        return round((value // GRID_DEGREES) * GRID_DEGREES + GRID_DEGREES / 2, 4)

    return snap(point.x), snap(point.y)


def public_place(incident: Incident) -> tuple[str, float | None, float | None]:
    """(address, lat, long) as the public may see them."""
    settings_row = _settings_of(incident.category)
    point = incident.location
    if settings_row is not None and settings_row.generalise_location:
        parish = getattr(incident, "parish_point", None)
        if parish is not None:
            lon, lat = round(parish.x, 5), round(parish.y, 5)
        elif point is not None:
            lon, lat = _grid(point)
        else:
            return getattr(incident, "parish_name", None) or "", None, None
        return getattr(incident, "parish_name", None) or "", lat, lon
    if point is None:
        return street_only(incident.address), None, None
    return (
        street_only(incident.address),
        round(point.y, STREET_DECIMALS),
        round(point.x, STREET_DECIMALS),
    )


def request_payload(incident: Incident) -> dict[str, Any]:
    settings_row = _settings_of(incident.category)
    address, lat, lon = public_place(incident)
    return {
        "service_request_id": incident.reference,
        "status": "open" if incident.status in OPEN_STATUSES else "closed",
        "status_notes": incident.status_notes or None,
        "service_name": incident.category.label(get_language()),
        "service_code": incident.category.code,
        # The description may name people: residents and clients get status_notes instead.
        "description": None,
        "agency_responsible": None,
        "service_notice": (settings_row.service_notice or None) if settings_row else None,
        "requested_datetime": w3c(incident.reported_at),
        "updated_datetime": w3c(incident.updated_at),
        "expected_datetime": None,
        "address": address or None,
        "address_id": None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": None,
    }


def service_payload(
    category: Category, settings_row: ServiceSettings | None, attributes: list[ServiceAttribute]
) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "service_name": category.label(get_language()),
        "description": (settings_row.description if settings_row else "") or category.name_en,
        "metadata": any(a.variable for a in attributes),
        "type": "realtime",
        "keywords": settings_row.keywords if settings_row else "",
        "group": settings_row.group if settings_row else "",
    }


def definition_payload(category: Category, attributes: list[ServiceAttribute]) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": a.variable,
                "code": a.code,
                "datatype": a.datatype,
                "required": a.required,
                "datatype_description": a.datatype_description or None,
                "order": a.order,
                "description": a.description,
                "values": [{"key": v.get("key"), "name": v.get("name")} for v in a.values],
            }
            for a in attributes
        ],
    }


def posted_payload(reference: str, service_notice: str) -> dict[str, Any]:
    return {
        "service_request_id": reference,
        "service_notice": service_notice or None,
        "account_id": None,
    }


# When this interface last changed in a way clients must know (GeoReport v2 discovery).
CHANGESET = "2026-11-30T00:00:00Z"


def discovery_payload(endpoint_url: str) -> dict[str, Any]:
    return {
        "changeset": CHANGESET,
        "contact": "The administrator of this Koban installation.",
        "key_service": "Ask the administrator of this Koban installation for an api_key.",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": endpoint_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
