"""Reference data and people: categories, areas, police stations, assignable users, the
signed-in user, and API tokens."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import roles, selectors
from incidents.models import Area, Category, PoliceStation

from ..docs import AUTH_ERRORS, SEQUENCE_PARAMETER, errors
from ..permissions import SeesEverything
from ..serializers.reference import (
    AreaFeatureSerializer,
    AreaSerializer,
    CategorySerializer,
    MeSerializer,
    StationFeatureSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
)
from .base import KobanAPIView, SnapshotListMixin, StrictJSONParser

TAG = ["reference"]
ASSIGNABLE_ROLES = (roles.OFFICER, roles.SUPERVISOR, roles.ADMINISTRATOR)


class TokenView(ObtainAuthToken):
    """DRF's token view (one token per user); JSON or a form, so `curl -d` works too."""

    parser_classes = (StrictJSONParser, FormParser)
    # Credentials are in the body; a stale token or session must not turn this into a 401/403.
    authentication_classes = ()

    @extend_schema(
        tags=["auth"],
        summary="Get an API token for a username and password",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **errors(400)},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class MeView(KobanAPIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        tags=["auth"],
        summary="The signed-in user: roles, areas, patrols and what they may do",
        responses={200: MeSerializer, **errors(*AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)


class CategoryListView(SnapshotListMixin, KobanAPIView):
    """Reference data: every signed-in user (integrators map categories too)."""

    permission_classes = (IsAuthenticated,)
    serializer_class = CategorySerializer

    def get_queryset(self) -> QuerySet[Category]:
        return Category.objects.filter(active=True)

    @extend_schema(
        tags=TAG,
        summary="Incident categories",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: CategorySerializer(many=True), **errors(*AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class AreaListView(SnapshotListMixin, KobanAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = AreaSerializer

    def get_queryset(self) -> QuerySet[Area]:
        return selectors.areas_for_list().defer("geom")

    @extend_schema(
        tags=TAG,
        summary="Areas (municipality, parishes, sectors) without their boundaries",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: AreaSerializer(many=True), **errors(*AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class AreaGeoJSONView(SnapshotListMixin, KobanAPIView):
    permission_classes = (IsAuthenticated,)
    serializer_class = AreaFeatureSerializer

    def get_queryset(self) -> QuerySet[Area]:
        return selectors.areas_for_list()

    @extend_schema(
        tags=TAG,
        summary="Areas with their boundaries as a GeoJSON FeatureCollection (id = area id)",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: AreaFeatureSerializer(many=True), **errors(*AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class StationGeoJSONView(SnapshotListMixin, KobanAPIView):
    serializer_class = StationFeatureSerializer

    def get_queryset(self) -> QuerySet[PoliceStation]:
        return selectors.stations_for_map(self.request.user)

    @extend_schema(
        tags=TAG,
        summary="Police stations as a GeoJSON FeatureCollection (id = station id)",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: StationFeatureSerializer(many=True), **errors(*AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class UserQuerySerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ASSIGNABLE_ROLES, required=False)


class UserListView(SnapshotListMixin, KobanAPIView):
    permission_classes = (IsAuthenticated, SeesEverything)
    serializer_class = UserSerializer

    def get_queryset(self) -> QuerySet[Any]:
        query = UserQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.assignable_users(query.validated_data.get("role"))

    @extend_schema(
        tags=TAG,
        summary="People follow-ups can be assigned to (supervisors and administrators)",
        parameters=[
            SEQUENCE_PARAMETER,
            OpenApiParameter(
                "role", str, enum=list(ASSIGNABLE_ROLES), description="Only this role."
            ),
        ],
        responses={200: UserSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)
