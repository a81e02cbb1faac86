"""What every API view shares: authentication, JSON only, no filters unless declared, and the
snapshot sequence header on lists."""

from __future__ import annotations

from typing import Any

from rest_framework import generics, mixins
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from dashboard.security.tokens import APITokenAuthentication
from incidents import selectors
from koban.limits import LimitedJSONParser

from ..docs import SEQUENCE_HEADER
from ..permissions import IsOperational


class StrictJSONParser(LimitedJSONParser):
    """JSON that PostgreSQL can store: no lone surrogates, no nesting deeper than
    koban.limits.MAX_JSON_DEPTH, no NaN (400): the project-wide default parser."""


class KobanAPIView(generics.GenericAPIView):
    # Token first, so an anonymous client gets 401 with `WWW-Authenticate: Token`; the
    # browser's session works too (with CSRF on writes). Operational roles only by default.
    # (No docstring: the schema would show it as every subclass's description.)

    authentication_classes = (APITokenAuthentication, SessionAuthentication)
    permission_classes = (IsAuthenticated, IsOperational)
    parser_classes = (StrictJSONParser,)
    filter_backends = ()
    # OPTIONS would describe serializers the views do not declare; 405 instead.
    metadata_class = None

    def check_permissions(self, request: Request) -> None:
        # Rates before permissions (DRF checks them after): anonymous calls, answered 401 by the
        # permission check, are counted too.
        super().check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request: Request) -> None:
        """Done in check_permissions, before the permission check."""


class SnapshotListMixin(mixins.ListModelMixin):
    # Lists carry the live-feed sequence read before the query (see docs.SEQUENCE_HEADER).
    # (A comment, not a docstring: the schema would show it as each list's description.)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        sequence = selectors.latest_event_sequence()
        response = super().list(request, *args, **kwargs)
        response[SEQUENCE_HEADER] = str(sequence)
        return response


def validated(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    """The request body checked by an input serializer (400 with field messages otherwise)."""
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
