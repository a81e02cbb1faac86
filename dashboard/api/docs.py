"""OpenAPI pieces shared by every endpoint: the error bodies and the snapshot sequence header.

Every error an endpoint can answer is declared with `errors(...)`, so the schema (and the
schemathesis run in the tests) knows each status code a client may see.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

SEQUENCE_HEADER = "X-Koban-Sequence"


class ErrorSerializer(serializers.Serializer):
    """Why the request was refused, for people."""

    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """Bad input: one or more messages per field (`detail` when the body could not be read)."""


class FieldErrorsExtension(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {
            "type": "object",
            "description": "Messages per field; nested objects carry their own fields' messages.",
            "additionalProperties": {
                "oneOf": [
                    {"type": "array", "items": {"type": "string"}},
                    {"type": "string"},
                    {"type": "object"},
                ]
            },
            "example": {"location": ["This location is outside the service area."]},
        }


class ConflictSerializer(serializers.Serializer):
    """The lifecycle does not allow this move; nothing was changed."""

    detail = serializers.CharField()
    code = serializers.CharField()
    current = serializers.CharField(help_text="The status the item is in.")
    requested = serializers.CharField(help_text="The status that was asked for.")
    allowed = serializers.ListField(
        child=serializers.CharField(), help_text="The statuses it may move to from here."
    )


_ERRORS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(FieldErrorsSerializer, description="Bad input: messages per field."),
    401: OpenApiResponse(
        ErrorSerializer, description="Not signed in: no session, or a missing or invalid token."
    ),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Signed in but not allowed (role), or a session request without CSRF token.",
    ),
    404: OpenApiResponse(
        ErrorSerializer, description="No such item, or the item is outside what you may see."
    ),
    409: OpenApiResponse(
        ConflictSerializer, description="Refused by the lifecycle; `allowed` lists next states."
    ),
    429: OpenApiResponse(
        ErrorSerializer,
        description="Too many requests (rate limit), or log-in locked after repeated wrong "
        "passwords; `Retry-After` says how many seconds to wait.",
    ),
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The error responses of an endpoint, for `extend_schema(responses={..., **errors(...)})`."""
    return {code: _ERRORS[code] for code in codes}


# Authentication failures and the rate limit, which every protected endpoint can answer.
AUTH_ERRORS = (401, 403, 429)

SEQUENCE_PARAMETER = OpenApiParameter(
    SEQUENCE_HEADER,
    type=OpenApiTypes.INT,
    location=OpenApiParameter.HEADER,
    response=[200],
    required=True,
    description=(
        "Latest live-feed sequence number, read before the data: load this snapshot, then ask "
        "the live feed for events after it (`/ws/operations/?after=<sequence>`)."
    ),
)
