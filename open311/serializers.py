"""Input shapes of the Open311 calls (GeoReport v2 argument names); outputs are in public.py."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.contrib.gis.geos import Point
from django.core.validators import RegexValidator
from django.utils import timezone
from rest_framework import serializers

# GeoReport v2: a range "may not span more than 90 days"; without one, the most recent 90 days.
MAX_SPAN = timedelta(days=90)

_ONE_LINE = RegexValidator(r"^[^\x00-\x1f\x7f]*$", "Must be one line without control characters.")
_PHONE = RegexValidator(
    r"^\+?[0-9 ().\-/]{3,30}$", "Digits, spaces and + ( ) . - / only, 3 to 30 characters."
)
_ATTRIBUTE = re.compile(r"^attribute\[([A-Za-z0-9_-]{1,50})\](\[\])?$")


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class RequestsQuery(serializers.Serializer):
    """GET requests: the filters, with the specification's default window applied."""

    jurisdiction_id = serializers.CharField(required=False, allow_blank=True, max_length=200)
    service_request_id = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    service_code = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    start_date = serializers.DateTimeField(required=False, allow_null=True)
    end_date = serializers.DateTimeField(required=False, allow_null=True)
    status = serializers.CharField(required=False, allow_blank=True, max_length=20)

    def validate_status(self, value: str) -> str | None:
        wanted = set(_csv(value))
        if wanted - {"open", "closed"}:
            raise serializers.ValidationError("Use open, closed, or open,closed.")
        return wanted.pop() if len(wanted) == 1 else None

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        ids = _csv(data.get("service_request_id") or "")
        if ids:
            if len(ids) > 1000:
                raise serializers.ValidationError({"service_request_id": "At most 1000 ids."})
            return {"ids": ids}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": "Must not be before start_date."})
        if start and end and end - start > MAX_SPAN:
            raise serializers.ValidationError(
                {"end_date": "The range may not span more than 90 days."}
            )
        if start is None and end is None:
            end = timezone.now()
        if start is None:
            start = end - MAX_SPAN
        if end is None:
            end = start + MAX_SPAN
        return {
            "service_codes": _csv(data.get("service_code") or ""),
            "start": start,
            "end": end,
            "status": data.get("status"),
        }


class PostRequestInput(serializers.Serializer):
    """POST requests: every argument of GeoReport v2, checked for shape and length."""

    jurisdiction_id = serializers.CharField(required=False, allow_blank=True, max_length=200)
    service_code = serializers.CharField(max_length=50, validators=[_ONE_LINE])
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    long = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    address_string = serializers.CharField(
        required=False, allow_blank=True, max_length=255, validators=[_ONE_LINE]
    )
    address_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True, max_length=254)
    device_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    account_id = serializers.CharField(required=False, allow_blank=True, max_length=100)
    first_name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, validators=[_ONE_LINE]
    )
    last_name = serializers.CharField(
        required=False, allow_blank=True, max_length=100, validators=[_ONE_LINE]
    )
    phone = serializers.CharField(
        required=False, allow_blank=True, max_length=30, validators=[_PHONE]
    )
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, trim_whitespace=True
    )
    media_url = serializers.URLField(required=False, allow_blank=True, max_length=500)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        lat, lon = data.get("lat"), data.get("long")
        if (lat is None) != (lon is None):
            raise serializers.ValidationError({"lat": "Send lat and long together."})
        if lat is None and not (data.get("address_string") or "").strip():
            if data.get("address_id"):
                raise serializers.ValidationError(
                    {"address_id": "Unknown address ids here; send lat/long or address_string."}
                )
            raise serializers.ValidationError({"lat": "Send lat and long, or address_string."})
        data["location"] = Point(lon, lat, srid=4326) if lat is not None else None
        return data


def attributes_of(form: Any) -> dict[str, list[str]]:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2 as {code: [values]}."""
    found: dict[str, list[str]] = {}
    for key, values in form.lists():
        match = _ATTRIBUTE.match(key)
        if match:
            found.setdefault(match.group(1), []).extend(str(v) for v in values)
        elif key.startswith("attribute"):
            raise serializers.ValidationError({key: "Use attribute[code]=value."})
    return found
