"""Helpers shared by the services: input checks and timeline writes."""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, Point
from django.db.models import Model

from ..errors import InvalidInput, OutsideServiceArea
from ..models import Area, Category, Incident, NeighbourhoodConcern, Priority, TimelineEntry
from ..selectors import area_containing

M = TypeVar("M", bound=Model)


def lock_row(model: type[M], item: M | int, *related: str) -> M:
    """The row, locked for the rest of the caller's transaction (select_for_update)."""
    pk = item.pk if isinstance(item, model) else item
    return model.objects.select_for_update().select_related(*related).get(pk=pk)


def check_priority(priority: str) -> str:
    if priority not in Priority.values:
        raise InvalidInput({"priority": [f"Unknown priority '{priority}'."]})
    return priority


def note_text(text: str | None) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput({"text": ["A note cannot be empty."]})
    return text


def resolve_category(category: Category | str) -> Category:
    if isinstance(category, Category):
        return category
    found = Category.objects.filter(code=category, active=True).first()
    if found is None:
        raise InvalidInput({"category": [f"Unknown category '{category}'."]})
    return found


def clean_point(location: Point | GEOSGeometry | None, field: str = "location") -> Point | None:
    """A valid WGS84 point, or a field error; None means 'not located'."""
    if location is None:
        return None
    if not isinstance(location, Point):
        raise InvalidInput({field: ["A location must be a point."]})
    if location.srid not in (None, 4326):
        location = location.transform(4326, clone=True)
    if location.empty or not (-180 <= location.x <= 180 and -90 <= location.y <= 90):
        raise InvalidInput({field: ["Coordinates must be longitude -180..180, latitude -90..90."]})
    return Point(location.x, location.y, srid=4326)


def area_for(location: Point | None, field: str = "location") -> Area | None:
    """The area of a point; outside every area is kept unassigned unless configured an error."""
    area = area_containing(location)
    if location is not None and area is None and settings.KOBAN_REJECT_OUTSIDE_AREA:
        raise OutsideServiceArea(field)
    return area


def add_timeline(
    *,
    item: Incident | NeighbourhoodConcern,
    kind: str,
    actor: Any = None,
    actor_label: str = "",
    text: str = "",
    from_status: str = "",
    to_status: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    is_incident = isinstance(item, Incident)
    return TimelineEntry.objects.create(
        incident=item if is_incident else None,
        concern=None if is_incident else item,
        kind=kind,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label,
        text=text,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )


def next_reference(sequence: str, prefix: str, year: int, width: int) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        (number,) = cursor.fetchone()
    return f"{prefix}-{year}-{number:0{width}d}"
