"""Open311 writes: client keys (issued, revoked) and requests posted by a client."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidents.errors import InvalidInput
from incidents.models import Category
from incidents.selectors import area_containing
from incidents.services import incident_create

from .errors import UnknownService
from .models import KEY_PREFIX, ClientApplication, ServiceAttribute, ServiceRequest, hash_key
from .selectors import offered_service

MAX_DESCRIPTION = 4000  # GeoReport v2: free text "limited to 4,000 characters"


def _new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def client_create(*, name: str, contact: str = "") -> tuple[ClientApplication, str]:
    """A client application and its key; the key is returned once and only its hash is kept."""
    key = _new_key()
    client = ClientApplication(
        name=name, contact=contact, key_hint=key[: len(KEY_PREFIX) + 4], key_hash=hash_key(key)
    )
    try:
        client.full_clean()
    except ValidationError as exc:
        raise InvalidInput(exc.message_dict) from exc
    client.save()
    return client, key


@transaction.atomic
def client_rotate_key(*, client: ClientApplication) -> str:
    """A new key for the client (the old one stops working at once); returned once."""
    key = _new_key()
    client.key_hint = key[: len(KEY_PREFIX) + 4]
    client.key_hash = hash_key(key)
    client.revoked_at = None
    client.save(update_fields=["key_hint", "key_hash", "revoked_at"])
    return key


@transaction.atomic
def client_revoke(*, client: ClientApplication) -> ClientApplication:
    """The key stops working; requests already posted stay, with their source."""
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
    return client


# --- Attributes -----------------------------------------------------------------------------------


def _attribute_value(attribute: ServiceAttribute, values: list[str]) -> str | list[str]:
    """One attribute's answer checked against its definition; a field error otherwise."""
    field = f"attribute[{attribute.code}]"
    values = [v.strip() for v in values if v is not None and v.strip()]
    Datatype = ServiceAttribute.Datatype
    if attribute.datatype == Datatype.MULTI:
        unknown = [v for v in values if v not in attribute.value_keys()]
        if unknown:
            raise InvalidInput({field: [f"Unknown value(s): {', '.join(unknown)}."]})
        return values
    if len(values) > 1:
        raise InvalidInput({field: ["Give one value."]})
    value = values[0]
    if attribute.datatype == Datatype.SINGLE and value not in attribute.value_keys():
        raise InvalidInput({field: [f"Unknown value '{value}'."]})
    if attribute.datatype == Datatype.NUMBER:
        try:
            float(value)
        except ValueError:
            raise InvalidInput({field: ["Must be a number."]}) from None
    if attribute.datatype == Datatype.DATETIME and parse_datetime(value) is None:
        raise InvalidInput({field: ["Must be an ISO 8601 date and time."]})
    if attribute.datatype == Datatype.STRING and ("\n" in value or "\r" in value):
        raise InvalidInput({field: ["Must be one line."]})
    if len(value) > 1000:
        raise InvalidInput({field: ["At most 1000 characters."]})
    return value


def clean_attributes(
    definition: list[ServiceAttribute], given: dict[str, list[str]]
) -> dict[str, Any]:
    by_code = {a.code: a for a in definition if a.variable}
    unknown = sorted(set(given) - set(by_code))
    if unknown:
        raise InvalidInput(
            {f"attribute[{code}]": ["This service has no such attribute."] for code in unknown}
        )
    cleaned: dict[str, Any] = {}
    for code, attribute in by_code.items():
        values = [v for v in given.get(code, []) if v and v.strip()]
        if not values:
            if attribute.required:
                raise InvalidInput({f"attribute[{code}]": [f"Required: {attribute.description}"]})
            continue
        cleaned[code] = _attribute_value(attribute, values)
    return cleaned


# --- Posting a request ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PostedRequest:
    service_request: ServiceRequest
    service_notice: str


def _title(category: Category, description: str, address: str) -> str:
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    return (first_line or f"{category.name_en} — {address}".strip(" —"))[:120]


@transaction.atomic
def service_request_create(
    *,
    client: ClientApplication,
    service_code: str,
    location: Point | None,
    address_string: str = "",
    description: str = "",
    attributes: dict[str, list[str]] | None = None,
    media_url: str = "",
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    phone: str = "",
    requested_at: datetime | None = None,
) -> PostedRequest:
    """A request posted by a client becomes an incident like any other (timeline, live map),
    with the source open311:<client>; the reporter's contact is kept as personal data."""
    if not client.is_active:
        raise InvalidInput({"api_key": ["This key was revoked."]})
    offered = offered_service(service_code)
    if offered is None:
        raise UnknownService(service_code)
    category, settings_row, definition = offered
    if location is None and not address_string.strip():
        raise InvalidInput({"lat": ["Send lat and long, or address_string."]})
    if location is not None and area_containing(location) is None:
        raise InvalidInput({"lat": ["This location is outside the service area."]})
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput({"description": [f"At most {MAX_DESCRIPTION} characters."]})
    cleaned = clean_attributes(definition, attributes or {})
    name = " ".join(part.strip() for part in (first_name, last_name) if part.strip())
    reporter = {
        "name": name,
        "email": email.strip(),
        "phone": phone.strip(),
        "preferred_contact": "email" if email.strip() else ("phone" if phone.strip() else ""),
    }
    incident = incident_create(
        actor_label=client.source,
        category=category,
        title=_title(category, description, address_string),
        description=description.strip(),
        location=location,
        address=address_string.strip(),
        reported_at=requested_at,
        source=client.source,
        reporter=reporter,
    )
    posted = ServiceRequest.objects.create(
        incident=incident, client=client, attributes=cleaned, media_url=media_url
    )
    notice = settings_row.service_notice if settings_row is not None else ""
    return PostedRequest(posted, notice)
