"""Follow-up endpoints: list (my work, overdue), assign, start, complete, cancel, reassign.

Who may do what: supervisors and administrators assign to anyone and reassign; an officer may
take a follow-up for themselves (or their patrol) on an item they see. Starting and completing
is for the assignee, a member of the assigned patrol, or a supervisor; cancelling for a
supervisor or whoever assigned it.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import selectors, services
from incidents.models import FollowUp

from ..docs import AUTH_ERRORS, SEQUENCE_PARAMETER, errors
from ..filters import FOLLOWUP_ORDERINGS, FollowUpFilter
from ..pagination import KobanCursorPagination
from ..permissions import (
    IsOperational,
    MayCancelFollowUp,
    SeesEverything,
    WorksOnFollowUp,
    may_assign,
)
from ..serializers.followups import (
    FollowUpAssignSerializer,
    FollowUpCancelSerializer,
    FollowUpCompleteSerializer,
    FollowUpReassignSerializer,
    FollowUpSerializer,
)
from .base import KobanAPIView, SnapshotListMixin, validated

TAG = ["follow-ups"]


def followup_response(
    request: Request, pk: int, *, status_code: int = status.HTTP_200_OK
) -> Response:
    user = request.user
    followup = selectors.followups_for_list(user).filter(pk=pk).first()
    if followup is None:  # written by this user, then out of their view
        followup = selectors.followups_for_list(user, FollowUp.objects.filter(pk=pk)).get()
    return Response(FollowUpSerializer(followup).data, status=status_code)


class FollowUpListCreateView(SnapshotListMixin, KobanAPIView):
    serializer_class = FollowUpSerializer
    pagination_class = KobanCursorPagination
    filter_backends = (DjangoFilterBackend,)
    filterset_class = FollowUpFilter
    orderings = FOLLOWUP_ORDERINGS
    default_ordering = "due_at"

    def get_queryset(self) -> QuerySet[FollowUp]:
        return selectors.followups_for_list(self.request.user)

    @extend_schema(
        tags=TAG,
        summary="List follow-ups you may see (soonest due first)",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: FollowUpSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)

    @extend_schema(
        tags=TAG,
        summary="Assign a follow-up on an incident or a concern",
        description="Supervisors and administrators assign to anyone; officers may only take "
        "a follow-up for themselves or a patrol they crew (403 otherwise).",
        request=FollowUpAssignSerializer,
        responses={201: FollowUpSerializer, **errors(400, *AUTH_ERRORS)},
    )
    def post(self, request: Request) -> Response:
        data = validated(FollowUpAssignSerializer, request)
        if not may_assign(request.user, data.get("assignee"), data.get("assignee_patrol")):
            raise PermissionDenied("Only supervisors may assign follow-ups to others.")
        followup = services.followup_assign(actor=request.user, **data)
        return followup_response(request, followup.pk, status_code=status.HTTP_201_CREATED)


class _OneFollowUpView(KobanAPIView):
    def get_queryset(self) -> QuerySet[FollowUp]:
        return selectors.followups_visible_to(self.request.user)


class FollowUpDetailView(_OneFollowUpView):
    @extend_schema(
        tags=TAG,
        summary="One follow-up",
        responses={200: FollowUpSerializer, **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return followup_response(request, self.get_object().pk)


class FollowUpStartView(_OneFollowUpView):
    permission_classes = (IsAuthenticated, IsOperational, WorksOnFollowUp)

    @extend_schema(
        tags=TAG,
        summary="Start working on a follow-up",
        request=None,
        responses={200: FollowUpSerializer, **errors(*AUTH_ERRORS, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        followup = self.get_object()
        services.followup_start(followup=followup, actor=request.user)
        return followup_response(request, followup.pk)


class FollowUpCompleteView(_OneFollowUpView):
    permission_classes = (IsAuthenticated, IsOperational, WorksOnFollowUp)

    @extend_schema(
        tags=TAG,
        summary="Complete a follow-up with its outcome",
        request=FollowUpCompleteSerializer,
        responses={200: FollowUpSerializer, **errors(400, *AUTH_ERRORS, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        followup = self.get_object()
        data = validated(FollowUpCompleteSerializer, request)
        services.followup_complete(followup=followup, actor=request.user, **data)
        return followup_response(request, followup.pk)


class FollowUpCancelView(_OneFollowUpView):
    permission_classes = (IsAuthenticated, IsOperational, MayCancelFollowUp)

    @extend_schema(
        tags=TAG,
        summary="Cancel a follow-up, saying why",
        request=FollowUpCancelSerializer,
        responses={200: FollowUpSerializer, **errors(400, *AUTH_ERRORS, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        followup = self.get_object()
        data = validated(FollowUpCancelSerializer, request)
        services.followup_cancel(followup=followup, actor=request.user, reason=data["reason"])
        return followup_response(request, followup.pk)


class FollowUpReassignView(_OneFollowUpView):
    permission_classes = (IsAuthenticated, IsOperational, SeesEverything)

    @extend_schema(
        tags=TAG,
        summary="Give an open follow-up to someone else (supervisors)",
        request=FollowUpReassignSerializer,
        responses={200: FollowUpSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        followup = self.get_object()
        data = validated(FollowUpReassignSerializer, request)
        services.followup_reassign(followup=followup, actor=request.user, **data)
        return followup_response(request, followup.pk)
