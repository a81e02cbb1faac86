"""Neighbourhood-concern endpoints, the same pattern as incidents."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors, services
from incidents.models import NeighbourhoodConcern

from ..docs import AUTH_ERRORS, SEQUENCE_PARAMETER, errors
from ..filters import CONCERN_ORDERINGS, ConcernFilter
from ..pagination import GeoJSONCursorPagination, KobanCursorPagination
from ..serializers.concerns import (
    ConcernCreateSerializer,
    ConcernDetailSerializer,
    ConcernFeatureSerializer,
    ConcernListSerializer,
    ConcernPlanEntryCreateSerializer,
    ConcernPublishSerializer,
    ConcernTransitionSerializer,
    ConcernUpdateSerializer,
)
from ..serializers.incidents import NoteSerializer
from .base import KobanAPIView, SnapshotListMixin, validated

TAG = ["concerns"]


def concern_detail_response(
    request: Request, pk: int, *, status_code: int = status.HTTP_200_OK
) -> Response:
    """The detail after a read or a write (a write may take it out of the user's view)."""
    user = request.user
    concern = selectors.concern_for_detail(user).filter(pk=pk).first()
    if concern is None:
        concern = selectors.concern_for_detail(
            user, NeighbourhoodConcern.objects.filter(pk=pk)
        ).get()
    data = ConcernDetailSerializer(concern, context={"request": request}).data
    return Response(data, status=status_code)


class _ConcernListBase(SnapshotListMixin, KobanAPIView):
    filter_backends = (DjangoFilterBackend,)
    filterset_class = ConcernFilter
    orderings = CONCERN_ORDERINGS
    default_ordering = "-updated_at"


class ConcernListCreateView(_ConcernListBase):
    serializer_class = ConcernListSerializer
    pagination_class = KobanCursorPagination

    def get_queryset(self) -> QuerySet[NeighbourhoodConcern]:
        return selectors.concerns_for_list(self.request.user)

    @extend_schema(
        tags=TAG,
        summary="List neighbourhood concerns you may see",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: ConcernListSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=TAG,
        summary="Open a neighbourhood concern",
        request=ConcernCreateSerializer,
        responses={201: ConcernDetailSerializer, **errors(400, *AUTH_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = validated(ConcernCreateSerializer, request)
        concern = services.concern_create(actor=request.user, **data)
        return concern_detail_response(request, concern.pk, status_code=status.HTTP_201_CREATED)


class ConcernGeoJSONView(_ConcernListBase):
    serializer_class = ConcernFeatureSerializer
    pagination_class = GeoJSONCursorPagination

    def get_queryset(self) -> QuerySet[NeighbourhoodConcern]:
        return selectors.concerns_for_list(self.request.user).filter(location__isnull=False)

    @extend_schema(
        tags=TAG,
        summary="Concerns as a GeoJSON FeatureCollection (feature id = concern id)",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: ConcernFeatureSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class _OneConcernView(KobanAPIView):
    def get_queryset(self) -> QuerySet[NeighbourhoodConcern]:
        return selectors.concerns_visible_to(self.request.user)


class ConcernDetailView(_OneConcernView):
    @extend_schema(
        tags=TAG,
        summary="One concern with its timeline, follow-ups and linked incidents",
        responses={200: ConcernDetailSerializer, **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return concern_detail_response(request, self.get_object().pk)

    @extend_schema(
        tags=TAG,
        summary="Change a concern's description, priority, owner, review date or location",
        request=ConcernUpdateSerializer,
        responses={200: ConcernDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def patch(self, request: Request, pk: int) -> Response:
        concern = self.get_object()
        changes = validated(ConcernUpdateSerializer, request)
        services.concern_update(concern=concern, actor=request.user, **changes)
        return concern_detail_response(request, concern.pk)


class ConcernTransitionView(_OneConcernView):
    @extend_schema(
        tags=TAG,
        summary="Move a concern through scan, analyse, respond, assess",
        request=ConcernTransitionSerializer,
        responses={200: ConcernDetailSerializer, **errors(400, *AUTH_ERRORS, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        concern = self.get_object()
        data = validated(ConcernTransitionSerializer, request)
        services.concern_transition(
            concern=concern,
            to_status=data["status"],
            note=data["note"],
            actor=request.user,
            assessment_note=data.get("assessment_note"),
        )
        return concern_detail_response(request, concern.pk)


class ConcernNoteView(_OneConcernView):
    @extend_schema(
        tags=TAG,
        summary="Add a note to a concern's timeline",
        request=NoteSerializer,
        responses={201: ConcernDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        concern = self.get_object()
        data = validated(NoteSerializer, request)
        services.concern_add_note(concern=concern, text=data["text"], actor=request.user)
        return concern_detail_response(request, concern.pk, status_code=status.HTTP_201_CREATED)


class ConcernPlanView(_OneConcernView):
    @extend_schema(
        tags=TAG,
        summary="Record what was agreed with residents (commitment) or what was done (action)",
        request=ConcernPlanEntryCreateSerializer,
        responses={201: ConcernDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        concern = self.get_object()
        data = validated(ConcernPlanEntryCreateSerializer, request)
        services.concern_plan_add(concern=concern, actor=request.user, **data)
        return concern_detail_response(request, concern.pk, status_code=status.HTTP_201_CREATED)


class ConcernPublishView(_OneConcernView):
    @extend_schema(
        tags=TAG,
        summary="Publish a concern on its parish's public page, or take it off (supervisors)",
        request=ConcernPublishSerializer,
        responses={200: ConcernDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        concern = self.get_object()
        data = validated(ConcernPublishSerializer, request)
        services.concern_publish(concern=concern, actor=request.user, **data)
        return concern_detail_response(request, concern.pk)
