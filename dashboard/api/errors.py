"""One exception handler turns domain errors into HTTP answers (no try/except in views)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from incidents.errors import InvalidInput, InvalidTransition, NotAllowed, NothingToReveal


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, InvalidTransition):
        return Response(
            {
                "detail": str(exc),
                "code": "invalid_transition",
                "current": exc.current,
                "requested": exc.target,
                "allowed": exc.allowed,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotAllowed):
        return Response(
            {"detail": str(exc), "code": "not_allowed"}, status=status.HTTP_403_FORBIDDEN
        )
    if isinstance(exc, NothingToReveal):
        return Response(
            {"detail": str(exc), "code": "no_contact"}, status=status.HTTP_404_NOT_FOUND
        )
    if isinstance(exc, InvalidInput):
        return Response(exc.errors, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
