"""Patrol endpoints: list, map, detail, position history; report a position, change status.

Every operational user sees every patrol (knowing who is near is a safety matter); a patrol's
members, supervisors and administrators report its positions and status.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors, services
from incidents.models import Patrol, PatrolPosition

from ..docs import AUTH_ERRORS, SEQUENCE_PARAMETER, errors
from ..filters import POSITION_ORDERINGS, PatrolFilter, PositionFilter
from ..pagination import KobanCursorPagination
from ..permissions import CrewsPatrol, IsOperational
from ..serializers.patrols import (
    PatrolFeatureSerializer,
    PatrolPositionSerializer,
    PatrolSerializer,
    PatrolStatusSerializer,
    PositionInputSerializer,
)
from .base import KobanAPIView, SnapshotListMixin, validated

TAG = ["patrols"]


def patrol_response(request: Request, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
    patrol = get_object_or_404(selectors.patrols_for_list(request.user), pk=pk)
    return Response(PatrolSerializer(patrol).data, status=status_code)


class PatrolListView(SnapshotListMixin, KobanAPIView):
    serializer_class = PatrolSerializer
    filter_backends = (DjangoFilterBackend,)
    filterset_class = PatrolFilter

    def get_queryset(self) -> QuerySet[Patrol]:
        return selectors.patrols_for_list(self.request.user)

    @extend_schema(
        tags=TAG,
        summary="All patrols with their latest position",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: PatrolSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class PatrolGeoJSONView(SnapshotListMixin, KobanAPIView):
    serializer_class = PatrolFeatureSerializer
    filter_backends = (DjangoFilterBackend,)
    filterset_class = PatrolFilter

    def get_queryset(self) -> QuerySet[Patrol]:
        return selectors.patrols_for_list(self.request.user).filter(last_position__isnull=False)

    @extend_schema(
        tags=TAG,
        summary="Patrols' latest positions as a GeoJSON FeatureCollection (id = patrol id)",
        description="`stale` is true when the position is older than the configured minutes.",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: PatrolFeatureSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class PatrolDetailView(KobanAPIView):
    def get_queryset(self) -> QuerySet[Patrol]:
        return selectors.patrols_for_list(self.request.user)

    @extend_schema(
        tags=TAG,
        summary="One patrol",
        responses={200: PatrolSerializer, **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(PatrolSerializer(self.get_object()).data)


class PatrolPositionsView(SnapshotListMixin, KobanAPIView):
    serializer_class = PatrolPositionSerializer
    pagination_class = KobanCursorPagination
    filter_backends = (DjangoFilterBackend,)
    filterset_class = PositionFilter
    orderings = POSITION_ORDERINGS
    default_ordering = "-recorded_at"

    def get_patrol(self) -> Patrol:
        patrol = get_object_or_404(
            selectors.patrols_visible_to(self.request.user), pk=self.kwargs["pk"]
        )
        self.check_object_permissions(self.request, patrol)
        return patrol

    def get_queryset(self) -> QuerySet[PatrolPosition]:
        if getattr(self, "swagger_fake_view", False):
            return PatrolPosition.objects.none()
        return selectors.patrol_positions(self.get_patrol())

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsOperational(), CrewsPatrol()]
        return super().get_permissions()

    @extend_schema(
        tags=TAG,
        summary="A patrol's position history (newest first)",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: PatrolPositionSerializer(many=True), **errors(400, *AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return self.list(request)

    @extend_schema(
        tags=TAG,
        summary="Report a patrol's position",
        description="201 when recorded; 200 when this patrol already has a fix at that time "
        "(a repeat is not recorded twice). The answer is the patrol.",
        request=PositionInputSerializer,
        responses={
            201: PatrolSerializer,
            200: OpenApiResponse(PatrolSerializer, description="A repeated fix; not recorded."),
            **errors(400, *AUTH_ERRORS, 404),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        patrol = self.get_patrol()
        data = validated(PositionInputSerializer, request)
        _, recorded = services.patrol_record_position(patrol=patrol, **data)
        return patrol_response(
            request, patrol.pk, status.HTTP_201_CREATED if recorded else status.HTTP_200_OK
        )


class PatrolStatusView(KobanAPIView):
    permission_classes = (IsAuthenticated, IsOperational, CrewsPatrol)

    def get_queryset(self) -> QuerySet[Patrol]:
        return selectors.patrols_visible_to(self.request.user)

    @extend_schema(
        tags=TAG,
        summary="Change a patrol's status (available, busy, off duty)",
        request=PatrolStatusSerializer,
        responses={200: PatrolSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        patrol = self.get_object()
        data = validated(PatrolStatusSerializer, request)
        services.patrol_set_status(patrol=patrol, status=data["status"], actor=request.user)
        return patrol_response(request, patrol.pk)
