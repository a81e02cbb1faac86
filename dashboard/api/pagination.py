"""Cursor pagination: stable on tables that grow while a client pages through them.

A cursor holds the position of the last row of the first ordering field, so pages stay cheap
(an index range scan) on large tables; ties are broken by the id that every ordering ends with.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

ORDERING_PARAM = "ordering"


class KobanCursorPagination(CursorPagination):
    """Ordering comes from the view's `orderings` map, chosen by the `ordering` query param.

    The filterset validates the param (400 for an unknown ordering); here it only selects.
    """

    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"
    page_size_query_description = "Rows per page (1 to the endpoint's maximum)."

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list[Any] | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> tuple[str, ...]:
        orderings: dict[str, tuple[str, ...]] = view.orderings
        requested = request.query_params.get(ORDERING_PARAM) or view.default_ordering
        return orderings.get(requested, orderings[view.default_ordering])

    def decode_cursor(self, request: Request) -> Any:
        """A bad cursor is bad input (400 on the `cursor` field), not a missing page."""
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            if encoded is not None:
                b64decode(encoded.encode("ascii"), validate=True)
            cursor = super().decode_cursor(request)
        except (NotFound, UnicodeEncodeError, binascii.Error) as exc:
            raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc
        if cursor is not None and cursor.position is not None:
            field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
            try:
                field.to_python(cursor.position)
            except (DjangoValidationError, TypeError, ValueError) as exc:
                raise ValidationError({self.cursor_query_param: ["Invalid cursor."]}) from exc
        return cursor

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_size_query_param:
                param["schema"] = {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": self.max_page_size,
                    "default": self.page_size,
                }
        return params


class GeoJSONCursorPagination(KobanCursorPagination):
    """A FeatureCollection page: {type, next, previous, features}; big pages for maps."""

    page_size = 1000
    max_page_size = 5000

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "type": "FeatureCollection",
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "features": data["features"],
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        links = super().get_paginated_response_schema(schema)["properties"]
        return {
            "allOf": [
                schema,
                {
                    "type": "object",
                    "required": ["next", "previous"],
                    "properties": {"next": links["next"], "previous": links["previous"]},
                },
            ]
        }
