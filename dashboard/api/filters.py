"""Query-parameter filters, parsed once into typed values and handed to selectors.

Each parameter has a form field that turns text into a value or a message: a bad value is a
400 with a message for that parameter (django-filter's backend raises it), never a 500.
The querysets being filtered already come from the visibility selectors.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import django_filters as df
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import extend_schema_field

from incidents import selectors
from incidents.models import (
    Category,
    ConcernStatus,
    FollowUp,
    FollowUpStatus,
    Incident,
    IncidentStatus,
    NeighbourhoodConcern,
    Patrol,
    PatrolKind,
    PatrolPosition,
    PatrolStatus,
    Priority,
)

from .serializers.common import MAX_ID

MAX_LIST = 200

# --- Form fields: text in, typed value or a message out ------------------------------------------


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


# --- Filters: each documents its parameter -------------------------------------------------------


def _documented(flt: df.Filter, description: str, **schema: Any) -> df.Filter:
    """Attach the parameter's OpenAPI schema to this filter instance (not to its class)."""
    return extend_schema_field({"type": "string", "description": description, **schema})(flt)


class _Filter(df.Filter):
    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in (None, "", []):
            return qs
        return super().filter(qs, value)


class BBoxFilter(_Filter):
    field_class = BBoxField


class IdListFilter(_Filter):
    field_class = IdListField


class IdFilter(_Filter):
    field_class = IdField


class ChoiceListFilter(_Filter):
    field_class = ChoiceListField


class CategoryListFilter(_Filter):
    field_class = CategoryListField


class DateTimeFilter(_Filter):
    field_class = AwareDateTimeField


class BooleanFilter(_Filter):
    field_class = StrictBooleanField


class AssigneeFilter(_Filter):
    field_class = AssigneeField


class DaysFilter(_Filter):
    field_class = forms.IntegerField

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in (None, ""):
            return qs
        since = timezone.now() - timedelta(days=value)
        return qs.filter(**{f"{self.field_name}__gte": since})


def bbox_filter() -> df.Filter:
    return _documented(
        BBoxFilter(method="filter_bbox"),
        "Viewport `minlon,minlat,maxlon,maxlat` (WGS84); items without a location are left out.",
        example="-9.145,38.72,-9.125,38.735",
    )


def area_filter() -> df.Filter:
    return _documented(
        IdListFilter(method="filter_area"),
        "Area id or comma-separated ids; an area includes its sub-areas.",
        example="12,13",
    )


def id_filter(field_name: str, what: str) -> df.Filter:
    return _documented(IdFilter(field_name=field_name), f"Id of the {what}.", example="1")


def choice_list_filter(choices: list[tuple[str, Any]], field_name: str) -> df.Filter:
    values = [value for value, _ in choices]
    return _documented(
        ChoiceListFilter(choices=choices, field_name=field_name, lookup_expr="in"),
        f"One or a comma-separated list of: {', '.join(values)}.",
        example=values[0],
    )


def category_filter() -> df.Filter:
    return _documented(
        CategoryListFilter(field_name="category__code", lookup_expr="in"),
        "Category code or comma-separated codes (see /api/v1/categories/).",
        example="noise",
    )


def datetime_filter(field_name: str, lookup_expr: str, description: str) -> df.Filter:
    return _documented(
        DateTimeFilter(field_name=field_name, lookup_expr=lookup_expr),
        f"{description} ISO 8601 date-time (or date); without an offset it is local time.",
        example="2025-05-01T08:00:00Z",
    )


def days_filter(field_name: str) -> df.Filter:
    return extend_schema_field(
        {
            "type": "integer",
            "minimum": 1,
            "maximum": 3660,
            "description": "Only the last N days.",
        }
    )(DaysFilter(field_name=field_name, min_value=1, max_value=3660))


def boolean_filter(method: str, description: str) -> df.Filter:
    return _documented(
        BooleanFilter(method=method), f"{description} `true` or `false`.", enum=["true", "false"]
    )


def assignee_filter(method: str, description: str) -> df.Filter:
    return _documented(
        AssigneeFilter(method=method), f"{description} A user id, or `me`.", example="me"
    )


def ordering_filter(choices: dict[str, tuple[str, ...]], default: str) -> df.Filter:
    """Validates and documents `ordering`; the cursor pagination applies it."""
    names = list(choices)
    return extend_schema_field(
        {
            "type": "string",
            "enum": names,
            "default": default,
            "description": f"Order of the results (default `{default}`).",
        }
    )(df.ChoiceFilter(choices=[(n, n) for n in names], method="keep_order"))


def search_filter() -> df.Filter:
    return _documented(
        df.CharFilter(method="filter_q", max_length=200),
        "Free text found in the reference, title or address.",
        example="Rua",
    )


# --- Filter sets ---------------------------------------------------------------------------------

INCIDENT_ORDERINGS: dict[str, tuple[str, ...]] = {
    "-reported_at": ("-reported_at", "-id"),
    "reported_at": ("reported_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
}
CONCERN_ORDERINGS: dict[str, tuple[str, ...]] = {
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
}
FOLLOWUP_ORDERINGS: dict[str, tuple[str, ...]] = {
    "due_at": ("due_at", "id"),
    "-due_at": ("-due_at", "-id"),
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
}
POSITION_ORDERINGS: dict[str, tuple[str, ...]] = {
    "-recorded_at": ("-recorded_at", "-id"),
    "recorded_at": ("recorded_at", "id"),
}


class _KobanFilterSet(df.FilterSet):
    def keep_order(self, qs: QuerySet, name: str, value: Any) -> QuerySet:
        return qs

    def filter_bbox(self, qs: QuerySet, name: str, value: Any) -> QuerySet:
        return selectors.incidents_in_bbox(qs, value)

    def filter_area(self, qs: QuerySet, name: str, value: list[int]) -> QuerySet:
        return qs.filter(area_id__in=selectors.area_ids_with_descendants(value))

    def filter_no_area(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(area__isnull=value)

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(address__icontains=value)
        )

    def user_id(self, value: str | int) -> int:
        return self.request.user.id if value == "me" else int(value)


class IncidentFilter(_KobanFilterSet):
    bbox = bbox_filter()
    area = area_filter()
    no_area = boolean_filter("filter_no_area", "Outside every area (kept, with no area).")
    status = choice_list_filter(IncidentStatus.choices, field_name="status")
    category = category_filter()
    priority = choice_list_filter(Priority.choices, field_name="priority")
    since = datetime_filter("reported_at", "gte", "Reported at or after.")
    until = datetime_filter("reported_at", "lt", "Reported before.")
    days = days_filter("reported_at")
    updated_since = datetime_filter("updated_at", "gte", "Changed at or after (for syncing).")
    assignee = assignee_filter(
        "filter_assignee", "Assigned to this officer, or with a follow-up assigned to them."
    )
    q = search_filter()
    ordering = ordering_filter(INCIDENT_ORDERINGS, "-reported_at")

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_assignee(self, qs: QuerySet, name: str, value: str | int) -> QuerySet:
        user_id = self.user_id(value)
        theirs = FollowUp.objects.filter(incident=OuterRef("pk"), assignee_id=user_id)
        return qs.filter(Q(assigned_officer_id=user_id) | Exists(theirs))


class ConcernFilter(_KobanFilterSet):
    bbox = bbox_filter()
    area = area_filter()
    no_area = boolean_filter("filter_no_area", "Outside every area (kept, with no area).")
    status = choice_list_filter(ConcernStatus.choices, field_name="status")
    category = category_filter()
    priority = choice_list_filter(Priority.choices, field_name="priority")
    since = datetime_filter("created_at", "gte", "Raised at or after.")
    until = datetime_filter("created_at", "lt", "Raised before.")
    days = days_filter("created_at")
    updated_since = datetime_filter("updated_at", "gte", "Changed at or after (for syncing).")
    owner = assignee_filter("filter_owner", "Owned by this officer.")
    q = search_filter()
    ordering = ordering_filter(CONCERN_ORDERINGS, "-updated_at")

    class Meta:
        model = NeighbourhoodConcern
        fields: list[str] = []

    def filter_owner(self, qs: QuerySet, name: str, value: str | int) -> QuerySet:
        return qs.filter(owner_id=self.user_id(value))


class FollowUpFilter(_KobanFilterSet):
    assignee = assignee_filter(
        "filter_assignee", "Assigned to this officer or to a patrol they belong to."
    )
    status = choice_list_filter(FollowUpStatus.choices, field_name="status")
    overdue = boolean_filter("filter_overdue", "Open and past the due date (or not).")
    area = area_filter()
    incident = id_filter("incident_id", "incident")
    concern = id_filter("concern_id", "concern")
    updated_since = datetime_filter("updated_at", "gte", "Changed at or after (for syncing).")
    ordering = ordering_filter(FOLLOWUP_ORDERINGS, "due_at")

    class Meta:
        model = FollowUp
        fields: list[str] = []

    def filter_assignee(self, qs: QuerySet, name: str, value: str | int) -> QuerySet:
        user_id = self.user_id(value)
        return qs.filter(
            Q(assignee_id=user_id) | Q(assignee_patrol__in=Patrol.objects.filter(members=user_id))
        )

    def filter_overdue(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = selectors.followups_overdue(qs)
        return overdue if value else qs.exclude(pk__in=overdue.values("pk"))

    def filter_area(self, qs: QuerySet, name: str, value: list[int]) -> QuerySet:
        ids = selectors.area_ids_with_descendants(value)
        return qs.filter(Q(incident__area_id__in=ids) | Q(concern__area_id__in=ids))


class PatrolFilter(_KobanFilterSet):
    status = choice_list_filter(PatrolStatus.choices, field_name="status")
    kind = choice_list_filter(PatrolKind.choices, field_name="kind")
    area = area_filter()

    class Meta:
        model = Patrol
        fields: list[str] = []


class PositionFilter(_KobanFilterSet):
    since = datetime_filter("recorded_at", "gte", "Recorded at or after.")
    until = datetime_filter("recorded_at", "lt", "Recorded before.")
    ordering = ordering_filter(POSITION_ORDERINGS, "-recorded_at")

    class Meta:
        model = PatrolPosition
        fields: list[str] = []
