"""Incident endpoints: list, map, detail, create, change, and one view per operation.

Every queryset comes from the visibility selectors: another area's incident is a 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors, services
from incidents.models import Incident

from ..docs import AUTH_ERRORS, SEQUENCE_PARAMETER, errors
from ..filters import INCIDENT_ORDERINGS, IncidentFilter
from ..pagination import GeoJSONCursorPagination, KobanCursorPagination
from ..serializers.incidents import (
    IncidentCreateSerializer,
    IncidentDetailSerializer,
    IncidentFeatureSerializer,
    IncidentListSerializer,
    IncidentTransitionSerializer,
    IncidentUpdateSerializer,
    LinkConcernSerializer,
    NoteSerializer,
    RevealContactSerializer,
    RevealedContactSerializer,
)
from .base import KobanAPIView, SnapshotListMixin, validated

TAG = ["incidents"]


def incident_detail_response(
    request: Request, pk: int, *, status_code: int = status.HTTP_200_OK
) -> Response:
    """The detail of an incident; never the reporter's contact (see IncidentRevealContactView),
    so fetching it again after every live event or write logs nothing.

    After a write the incident may have left the user's view (moved to another area, or
    recorded outside their areas); they still get the answer to the change they made.
    """
    user = request.user
    incident = selectors.incident_for_detail(user).filter(pk=pk).first()
    if incident is None:
        incident = selectors.incident_for_detail(user, Incident.objects.filter(pk=pk)).get()
    context = {
        "request": request,
        "can_reveal_contact": incident.has_reporter_contact
        and selectors.can_reveal_contact(user, incident),
    }
    return Response(IncidentDetailSerializer(incident, context=context).data, status=status_code)


class _IncidentListBase(SnapshotListMixin, KobanAPIView):
    filter_backends = (DjangoFilterBackend,)
    filterset_class = IncidentFilter
    orderings = INCIDENT_ORDERINGS
    default_ordering = "-reported_at"


class IncidentListCreateView(_IncidentListBase):
    serializer_class = IncidentListSerializer
    pagination_class = KobanCursorPagination

    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.incidents_for_list(self.request.user)

    @extend_schema(
        tags=TAG,
        summary="List incidents you may see",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: IncidentListSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=TAG,
        summary="Record an incident",
        description="Officers may record an incident anywhere; they then see it only if it "
        "lies in their areas or is assigned to them.",
        request=IncidentCreateSerializer,
        responses={201: IncidentDetailSerializer, **errors(400, *AUTH_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = validated(IncidentCreateSerializer, request)
        incident = services.incident_create(actor=request.user, **data)
        return incident_detail_response(request, incident.pk, status_code=status.HTTP_201_CREATED)


class IncidentGeoJSONView(_IncidentListBase):
    serializer_class = IncidentFeatureSerializer
    pagination_class = GeoJSONCursorPagination

    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.incidents_for_list(self.request.user).filter(location__isnull=False)

    @extend_schema(
        tags=TAG,
        summary="Incidents as a GeoJSON FeatureCollection (feature id = incident id)",
        description="Located incidents only. Pages of up to 5000 features; follow `next`.",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: IncidentFeatureSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class _OneIncidentView(KobanAPIView):
    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.incidents_visible_to(self.request.user)


class IncidentDetailView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="One incident with its timeline and follow-ups",
        description="Never carries the reporter's contact: `has_reporter_contact` says whether "
        "one is held, `can_reveal_contact` whether you may reveal it (POST .../reveal-contact/).",
        responses={200: IncidentDetailSerializer, **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        return incident_detail_response(request, incident.pk)

    @extend_schema(
        tags=TAG,
        summary="Change an incident's description, category, priority or location",
        request=IncidentUpdateSerializer,
        responses={200: IncidentDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        changes = validated(IncidentUpdateSerializer, request)
        services.incident_update(incident=incident, actor=request.user, **changes)
        return incident_detail_response(request, incident.pk)


class IncidentTransitionView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="Move an incident along its lifecycle",
        description="409 when the lifecycle does not allow the move; `allowed` lists the "
        "states it may go to.",
        request=IncidentTransitionSerializer,
        responses={200: IncidentDetailSerializer, **errors(400, *AUTH_ERRORS, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data = validated(IncidentTransitionSerializer, request)
        services.incident_transition(
            incident=incident,
            to_status=data["status"],
            note=data["note"],
            duplicate_of=data.get("duplicate_of"),
            actor=request.user,
        )
        return incident_detail_response(request, incident.pk)


class IncidentNoteView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="Add a note to an incident's timeline",
        request=NoteSerializer,
        responses={201: IncidentDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data = validated(NoteSerializer, request)
        services.incident_add_note(incident=incident, text=data["text"], actor=request.user)
        return incident_detail_response(request, incident.pk, status_code=status.HTTP_201_CREATED)


class IncidentLinkConcernView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="Link an incident to a neighbourhood concern (or unlink it with null)",
        request=LinkConcernSerializer,
        responses={200: IncidentDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data: dict[str, Any] = validated(LinkConcernSerializer, request)
        services.incident_link_concern(
            incident=incident, concern=data["concern"], actor=request.user
        )
        return incident_detail_response(request, incident.pk)


class IncidentRevealContactView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="Reveal the reporter's contact, giving a purpose (logged)",
        description="Supervisors and administrators; an officer only while a follow-up on this "
        "incident, assigned to them by a supervisor, is open (403 otherwise). Each call writes "
        "one access row with the purpose. 404 when no contact is held.",
        request=RevealContactSerializer,
        responses={200: RevealedContactSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data = validated(RevealContactSerializer, request)
        contact = services.reporter_contact_reveal(
            user=request.user,
            incident=incident,
            purpose=data["purpose"],
            purpose_text=data["purpose_text"],
            channel="api",
        )
        return Response(RevealedContactSerializer(contact).data)
