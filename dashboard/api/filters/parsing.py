"""Query-parameter parsing: text in, a typed value or a message for that parameter out.

A bad value is a 400 naming the parameter (django-filter's backend raises it), never a 500.
These fields know nothing of querysets; the filter sets (filtersets.py) hand the values to
selectors.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from incidents.models import Category

from ..serializers.common import MAX_ID

MAX_LIST = 200


class _TextField(forms.CharField):
    """Refuses NUL before any parsing or lookup (PostgreSQL cannot take it in a query)."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if "\x00" in text:
            raise forms.ValidationError("Null characters are not allowed.")
        return text


class BBoxField(_TextField):
    def to_python(self, value: Any) -> tuple[float, float, float, float] | None:
        text = super().to_python(value)
        if not text:
            return None
        parts = text.split(",")
        if len(parts) != 4:
            raise forms.ValidationError("Give four numbers: minlon,minlat,maxlon,maxlat.")
        try:
            minlon, minlat, maxlon, maxlat = (float(p) for p in parts)
        except ValueError as exc:
            raise forms.ValidationError("Give four numbers: minlon,minlat,maxlon,maxlat.") from exc
        if not all(math.isfinite(v) for v in (minlon, minlat, maxlon, maxlat)):
            raise forms.ValidationError("Coordinates must be finite numbers.")
        if not (-180 <= minlon <= 180 and -180 <= maxlon <= 180):
            raise forms.ValidationError("Longitudes must be between -180 and 180.")
        if not (-90 <= minlat <= 90 and -90 <= maxlat <= 90):
            raise forms.ValidationError("Latitudes must be between -90 and 90.")
        if minlon > maxlon or minlat > maxlat:
            raise forms.ValidationError("The minimum corner must come first (min <= max).")
        return (minlon, minlat, maxlon, maxlat)


def _parse_id(text: str) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        raise forms.ValidationError(
            "'%(value)s' is not an id (a positive whole number).", params={"value": text[:40]}
        )
    return int(text)


class IdField(_TextField):
    def to_python(self, value: Any) -> int | None:
        text = super().to_python(value)
        return _parse_id(text) if text else None


class IdListField(_TextField):
    def to_python(self, value: Any) -> list[int] | None:
        text = super().to_python(value)
        if not text:
            return None
        parts = [p for p in text.split(",") if p.strip()]
        if len(parts) > MAX_LIST:
            raise forms.ValidationError(f"Give at most {MAX_LIST} ids.")
        return [_parse_id(p) for p in parts]


class ChoiceListField(_TextField):
    """A comma-separated list of known values (statuses, priorities, kinds)."""

    def __init__(self, *, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        self.allowed = [value for value, _ in choices]
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[str] | None:
        text = super().to_python(value)
        if not text:
            return None
        values = [p.strip() for p in text.split(",") if p.strip()]
        unknown = [v for v in values if v not in self.allowed]
        if unknown:
            raise forms.ValidationError(
                "Unknown value '%(value)s'; use any of: %(allowed)s.",
                params={"value": unknown[0][:40], "allowed": ", ".join(self.allowed)},
            )
        return values


class CategoryListField(_TextField):
    def to_python(self, value: Any) -> list[str] | None:
        text = super().to_python(value)
        if not text:
            return None
        codes = [p.strip() for p in text.split(",") if p.strip()][: MAX_LIST + 1]
        if len(codes) > MAX_LIST:
            raise forms.ValidationError(f"Give at most {MAX_LIST} categories.")
        known = set(Category.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise forms.ValidationError(
                "Unknown category '%(value)s'.", params={"value": unknown[0][:50]}
            )
        return codes


class AwareDateTimeField(_TextField):
    """ISO 8601 date-time (or date, meaning local midnight); naive values are local time."""

    def to_python(self, value: Any) -> datetime | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            parsed = parse_datetime(text)
            if parsed is None:
                day = parse_date(text)
                parsed = datetime(day.year, day.month, day.day) if day else None
        except (ValueError, OverflowError):
            parsed = None
        if parsed is None:
            raise forms.ValidationError(
                "Give an ISO 8601 date-time, e.g. 2025-05-01T08:00:00+01:00."
            )
        try:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed)
            parsed.astimezone(UTC)
            # Keep arithmetic on it (now - value) and the database's range safe.
            parsed + timedelta(days=1)
            parsed - timedelta(days=1)
        except (ValueError, OverflowError) as exc:
            raise forms.ValidationError("This date-time is out of range.") from exc
        return parsed


class StrictBooleanField(_TextField):
    def to_python(self, value: Any) -> bool | None:
        text = (super().to_python(value) or "").lower()
        if not text:
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("Use true or false.")


class AssigneeField(_TextField):
    def to_python(self, value: Any) -> str | int | None:
        text = super().to_python(value)
        if not text:
            return None
        return "me" if text == "me" else _parse_id(text)
