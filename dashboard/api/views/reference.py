"""Reference data and people: categories, areas, police stations, assignable users, the
signed-in user, and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from dashboard.models import APIToken
from dashboard.security import tokens, two_factor
from dashboard.security.throttles import TokenEndpointThrottle
from dashboard.security.tokens import APITokenAuthentication
from incidents import roles, selectors
from incidents.models import AccessPurpose, Area, Category, PoliceStation

from ..docs import AUTH_ERRORS, SEQUENCE_PARAMETER, errors
from ..permissions import SeesEverything
from ..serializers.incidents import AccessPurposeSerializer
from ..serializers.reference import (
    AreaFeatureSerializer,
    AreaSerializer,
    CategorySerializer,
    MeSerializer,
    StationFeatureSerializer,
    TokenInfoSerializer,
    TokenNameSerializer,
    TokenRequestSerializer,
    TokenSerializer,
    UserSerializer,
)
from .base import KobanAPIView, SnapshotListMixin, StrictJSONParser, validated

TAG = ["reference"]
ASSIGNABLE_ROLES = (roles.OFFICER, roles.SUPERVISOR, roles.ADMINISTRATOR)


class TokenView(KobanAPIView):
    """Username and password (and a code, for people whose log-in needs one) for a new named
    token; JSON or a form, so `curl -d` works too. Behind the log-in lockout (429) and a
    per-address rate."""

    # Credentials are in the body; a stale token or session must not turn this into a 401/403.
    authentication_classes = ()
    permission_classes = ()
    parser_classes = (StrictJSONParser, FormParser)
    throttle_classes = (TokenEndpointThrottle,)

    @extend_schema(
        tags=["auth"],
        summary="Get an API token for a username and password (and a code)",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer, **errors(400, 429)},
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = validated(TokenRequestSerializer, request)
        # The plain HttpRequest: the lockout marks it, and its middleware answers 429.
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Wrong username or password.")]}
            )
        if two_factor.needs_second_factor(user):
            if not two_factor.has_device(user):
                raise serializers.ValidationError(
                    {"otp": [_("Set up your authenticator app first: log in once in the browser.")]}
                )
            if not data.get("otp"):
                raise serializers.ValidationError(
                    {"otp": [_("Type the code from your authenticator app.")]}
                )
            if not two_factor.check_code(user=user, code=data["otp"]):
                raise serializers.ValidationError({"otp": [_("That code is not right.")]})
        row, text = tokens.api_token_create(user=user, name=data["name"])
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        row.token = text
        return Response(TokenSerializer(row).data)


class TokenListView(KobanAPIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        tags=["auth"],
        summary="Your API tokens that still work (never the tokens themselves)",
        responses={200: TokenInfoSerializer(many=True), **errors(*AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return Response(TokenInfoSerializer(tokens.api_tokens_of(request.user), many=True).data)

    @extend_schema(
        tags=["auth"],
        summary="Make a named token, from a signed-in browser session",
        description="A token cannot make another token: machine clients use "
        "POST /api/v1/auth/token/ with the password.",
        request=TokenNameSerializer,
        responses={201: TokenSerializer, **errors(400, *AUTH_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, APIToken):
            raise PermissionDenied(_("A token cannot make another token."))
        data = validated(TokenNameSerializer, request)
        row, text = tokens.api_token_create(user=request.user, name=data["name"])
        row.token = text
        return Response(TokenSerializer(row).data, status=201)


class TokenDetailView(KobanAPIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        tags=["auth"],
        summary="Revoke one of your tokens",
        responses={204: None, **errors(404, *AUTH_ERRORS)},
    )
    def delete(self, request: Request, prefix: str) -> Response:
        token = get_object_or_404(APIToken, user=request.user, token_key=prefix)
        tokens.api_token_revoke(token=token)
        return Response(status=204)


class TokenLogoutView(KobanAPIView):
    """End the token this request is made with."""

    authentication_classes = (APITokenAuthentication,)
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        tags=["auth"],
        summary="Log out: revoke the token this request carries",
        request=None,
        responses={204: None, **errors(*AUTH_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        tokens.api_token_revoke(token=request.auth)
        return Response(status=204)


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


class AccessPurposeListView(KobanAPIView):
    """Why a reporter's contact may be revealed: the codes `reveal-contact` accepts."""

    def get_queryset(self) -> QuerySet[AccessPurpose]:
        return AccessPurpose.objects.filter(active=True)

    @extend_schema(
        tags=TAG,
        summary="Purposes for revealing a reporter's contact",
        responses={200: AccessPurposeSerializer(many=True), **errors(*AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        purposes = self.get_queryset()
        context = {"language": get_language()}
        return Response(AccessPurposeSerializer(purposes, many=True, context=context).data)


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
