"""Filter sets: each query parameter is documented, parsed once (parsing.py) and handed to a
selector, which owns the query rule. The querysets being filtered already come from the
visibility selectors.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import django_filters as df
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from incidents import selectors, work_selectors
from incidents.models import (
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

from .parsing import (
    AssigneeField,
    AwareDateTimeField,
    BBoxField,
    CategoryListField,
    ChoiceListField,
    IdField,
    IdListField,
    StrictBooleanField,
)

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
        return selectors.items_in_areas(qs, value)

    def filter_no_area(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return qs.filter(area__isnull=value)

    def filter_q(self, qs: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.items_matching(qs, value)

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
        "filter_assignee",
        "Sent to this officer or to a patrol they crew, or with a follow-up for either.",
    )
    q = search_filter()
    ordering = ordering_filter(INCIDENT_ORDERINGS, "-reported_at")

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_assignee(self, qs: QuerySet, name: str, value: str | int) -> QuerySet:
        # One meaning of "assigned to me" everywhere (patrols included): work_selectors.
        return work_selectors.incidents_assigned_to(qs, self.user_id(value))


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
        return work_selectors.followups_assigned_to(qs, self.user_id(value))

    def filter_overdue(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        return selectors.followups_by_overdue(qs, overdue=value)

    def filter_area(self, qs: QuerySet, name: str, value: list[int]) -> QuerySet:
        return selectors.followups_in_areas(qs, value)


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
