"""Fields and base classes shared by the API's serializers (shape only, no business rules)."""

from __future__ import annotations

import math
from datetime import UTC
from typing import Any

from django.contrib.gis.geos import Point
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeoJsonDict, GeometryField

from incidents import selectors

MAX_ID = 2**63 - 1

POINT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "GeoJSON Point in WGS84: coordinates [longitude, latitude].",
    "required": ["type", "coordinates"],
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {
            "type": "array",
            "items": {"type": "number"},
            "minItems": 2,
            "maxItems": 3,
            "example": [-9.1345, 38.7255],
        },
    },
}


@extend_schema_field(POINT_SCHEMA)
class PointField(GeometryField):
    """A GeoJSON Point with WGS84 longitude/latitude; anything else is a message, not a 500."""

    default_error_messages = {
        "not_point": 'Give a GeoJSON Point: {{"type": "Point", "coordinates": [lon, lat]}}.',
        "range": "Coordinates must be longitude -180..180 and latitude -90..90.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("precision", 6)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> Any:
        """A 2D point straight from its coordinates (issue 14): the generic path goes through
        GDAL's GeoJSON writer and a JSON parse per row, a quarter of a list page's time."""
        if isinstance(value, Point) and not value.empty and not value.hasz and not self.transform:
            x, y = value.coords
            if self.precision is not None:
                x, y = round(x, self.precision), round(y, self.precision)
            return GeoJsonDict({"type": "Point", "coordinates": [x, y]})
        return super().to_representation(value)

    def to_internal_value(self, value: Any) -> Point | None:
        if value is None:
            return None
        if not isinstance(value, dict) or value.get("type") != "Point":
            self.fail("not_point")
        coords = value.get("coordinates")
        if (
            not isinstance(coords, list)
            or len(coords) not in (2, 3)
            or not all(
                isinstance(c, int | float) and not isinstance(c, bool) and math.isfinite(c)
                for c in coords
            )
        ):
            self.fail("not_point")
        lon, lat = float(coords[0]), float(coords[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            self.fail("range")
        return Point(lon, lat, srid=4326)


class UTCDateTimeField(serializers.DateTimeField):
    """Answers in UTC (`...Z`): unambiguous for clients, and valid RFC 3339 even for dates
    before a zone's standard time (Lisbon's local mean time was -00:36:45)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("default_timezone", UTC)
        super().__init__(**kwargs)


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """An id among the rows the requesting user may see (a selector decides); others are 400.

    Unknown and invisible ids get the same message, so ids cannot be probed.
    """

    default_error_messages = {"does_not_exist": "No such {what} (or not one you may see)."}

    def __init__(self, *, selector: Any, what: str, **kwargs: Any) -> None:
        self.selector = selector
        self.what = what
        kwargs.setdefault("pk_field", id_field())
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return self.selector(self.context["request"].user)

    def fail(self, key: str, **kwargs: Any) -> Any:
        if key == "does_not_exist":
            kwargs = {"what": self.what}
        return super().fail(key, **kwargs)


def assignable_user_field(help_text: str) -> VisibleRelatedField:
    """A user work can go to: any active operational user, not only those in the caller's areas."""
    return VisibleRelatedField(
        selector=lambda user: selectors.assignable_users(),
        what="officer",
        required=False,
        allow_null=True,
        help_text=help_text,
    )


class StrictInputSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a typo or a read-only field is not silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name[:100]: ["Unknown field."] for name in unknown[:20]}
                )
        return super().to_internal_value(data)


def display_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()
