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
COUNT_PARAM = "count"
COUNT_VALUES = {"true": True, "1": True, "false": False, "0": False}


def wants_count(request: Request) -> bool:
    """`?count=true`: the page also carries the true number of rows the filters select.

    Opt-in, because a client paging through a list needs it once, not on every page, and a
    count over the whole window is the most expensive part of a page at city scale.
    """
    raw = request.query_params.get(COUNT_PARAM)
    if raw is None:
        return False
    if raw.lower() not in COUNT_VALUES:
        raise ValidationError({COUNT_PARAM: ["Must be true or false."]})
    return COUNT_VALUES[raw.lower()]


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
        # Counted before the cursor and the ordering narrow it: the whole filtered window.
        self.count = queryset.order_by().count() if wants_count(request) else None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        response = super().get_paginated_response(data)
        if self.count is not None:
            response.data = {"count": self.count, **response.data}
        return response

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

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        answer = super().get_paginated_response_schema(schema)
        answer["properties"] = {
            "count": {"type": "integer", "description": "With `count=true`."},
            **answer["properties"],
        }
        return answer

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
        params.append(
            {
                "name": COUNT_PARAM,
                "required": False,
                "in": "query",
                "description": "true: the answer also carries `count`, the number of rows the "
                "filters select (all pages).",
                "schema": {"type": "boolean", "default": False},
            }
        )
        return params


class GeoJSONCursorPagination(KobanCursorPagination):
    """A FeatureCollection page: {type, next, previous, features}; big pages for maps."""

    page_size = 1000
    max_page_size = 5000

    def get_paginated_response(self, data: Any) -> Response:
        count = {} if self.count is None else {"count": self.count}
        return Response(
            {
                "type": "FeatureCollection",
                **count,
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
                    "properties": {
                        "count": {"type": "integer", "description": "With `count=true`."},
                        "next": links["next"],
                        "previous": links["previous"],
                    },
                },
            ]
        }
