"""What every API view shares: authentication, JSON only, no filters unless declared, and the
snapshot sequence header on lists."""

from __future__ import annotations

import json
from typing import Any

from rest_framework import generics, mixins
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer

from incidents import selectors

from ..docs import SEQUENCE_HEADER
from ..permissions import IsOperational


class StrictJSONParser(JSONParser):
    """JSON that PostgreSQL can store: no lone surrogates, no pathological nesting (400)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except RecursionError as exc:
            raise ParseError("JSON parse error - the document is nested too deeply.") from exc
        except UnicodeEncodeError as exc:
            raise ParseError("JSON parse error - text must be valid Unicode.") from exc
        return data


class KobanAPIView(generics.GenericAPIView):
    # Token first, so an anonymous client gets 401 with `WWW-Authenticate: Token`; the
    # browser's session works too (with CSRF on writes). Operational roles only by default.
    # (No docstring: the schema would show it as every subclass's description.)

    authentication_classes = (TokenAuthentication, SessionAuthentication)
    permission_classes = (IsAuthenticated, IsOperational)
    parser_classes = (StrictJSONParser,)
    filter_backends = ()
    # OPTIONS would describe serializers the views do not declare; 405 instead.
    metadata_class = None


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
