"""The GeoReport v2 endpoints. No signed-in user: reading is public (only public fields leave),
posting needs a client key. Errors in the specification's format: [{code, description}]."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.security.throttles import AnonThrottle
from incidents.errors import InvalidInput

from . import public, selectors, services
from .auth import ClientKeyAuthentication, ClientKeyThrottle, PostNeedsClientKey
from .errors import UnknownRequest, UnknownService
from .renderers import Open311JSONRenderer, Open311XMLRenderer
from .serializers import PostRequestInput, RequestsQuery, attributes_of


def _messages(detail: Any, field: str = "") -> list[str]:
    if isinstance(detail, dict):
        return [m for key, value in detail.items() for m in _messages(value, str(key))]
    if isinstance(detail, list):
        return [m for item in detail for m in _messages(item, field)]
    text = str(detail)
    return [f"{field}: {text}" if field and field != "non_field_errors" else text]


def _errors(code: int, messages: list[str]) -> list[dict[str, Any]]:
    return [{"code": code, "description": message} for message in messages]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every refusal as GeoReport v2 errors; 403 for a missing or bad key, 404 for what does not
    exist, 400 for the rest (429 when throttled). Anything else is a bug and is not hidden."""
    if isinstance(exc, InvalidInput):
        return Response(_errors(400, _messages(exc.errors)), status=400)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return Response(_errors(400, _messages(detail)), status=400)
    if isinstance(exc, UnknownService | UnknownRequest):
        return Response(_errors(404, [str(exc)]), status=404)
    if isinstance(exc, Http404):
        return Response(_errors(404, ["Not found."]), status=404)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return Response(_errors(403, _messages(exc.detail)), status=403)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(int(exc.wait) + 1)
        code = exc.status_code
        return Response(_errors(code, _messages(exc.detail)), status=code, headers=headers)
    return None


class Open311View(APIView):
    renderer_classes = [Open311JSONRenderer, Open311XMLRenderer]
    authentication_classes = [ClientKeyAuthentication]
    permission_classes = [PostNeedsClientKey]
    parser_classes = [FormParser, MultiPartParser]
    throttle_classes = [AnonThrottle, ClientKeyThrottle]
    schema = None  # the public Open311 interface is documented by its specification
    xml_root = "response"

    def get_exception_handler(self):  # type: ignore[no-untyped-def]
        return exception_handler


class DiscoveryView(Open311View):
    """Service Discovery (required by GeoReport v2): where this endpoint is and what it speaks."""

    xml_root = "discovery"

    def get(self, request: Request, format: str) -> Response:
        base = request.build_absolute_uri(reverse("open311-services", args=["json"]))
        return Response(public.discovery_payload(base.rsplit("/", 1)[0]))


class ServiceListView(Open311View):
    xml_root = "services"

    def get(self, request: Request, format: str) -> Response:
        return Response(
            [public.service_payload(*offered) for offered in selectors.offered_services()]
        )


class ServiceDefinitionView(Open311View):
    xml_root = "service_definition"

    def get(self, request: Request, service_code: str, format: str) -> Response:
        offered = selectors.offered_service(service_code)
        if offered is None:
            raise UnknownService(service_code)
        category, _settings, attributes = offered
        return Response(public.definition_payload(category, attributes))


class RequestsView(Open311View):
    xml_root = "service_requests"

    def get(self, request: Request, format: str) -> Response:
        query = RequestsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.public_requests(**query.validated_data)
        return Response([public.request_payload(incident) for incident in rows])

    def post(self, request: Request, format: str) -> Response:
        given = PostRequestInput(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        posted = services.service_request_create(
            client=request.auth,
            service_code=data["service_code"],
            location=data["location"],
            address_string=data.get("address_string", ""),
            description=data.get("description", ""),
            attributes=attributes_of(request.data),
            media_url=data.get("media_url", ""),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
        )
        reference = posted.service_request.incident.reference
        return Response(
            [public.posted_payload(reference, posted.service_notice)],
            status=status.HTTP_201_CREATED,
        )


class RequestDetailView(Open311View):
    xml_root = "service_requests"

    def get(self, request: Request, request_id: str, format: str) -> Response:
        incident = selectors.public_request(request_id)
        if incident is None:
            raise UnknownRequest(request_id)
        return Response([public.request_payload(incident)])
