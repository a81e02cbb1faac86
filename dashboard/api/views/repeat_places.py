"""Repeat-place proposals: the supervisors' map layer and their decisions (accept, merge,
dismiss). Officers, integrators and auditors get 403: the proposals are a supervisor's tool."""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import services
from incidents.models import RepeatPlaceProposal
from incidents.selectors_repeat_places import (
    repeat_place_proposal_for_detail,
    repeat_place_proposals_for_list,
)

from ..docs import AUTH_ERRORS, SEQUENCE_PARAMETER, errors
from ..filters.filtersets import (
    _KobanFilterSet,
    area_filter,
    category_filter,
    choice_list_filter,
    ordering_filter,
)
from ..pagination import GeoJSONCursorPagination
from ..permissions import SeesEverything
from ..serializers.repeat_places import (
    AcceptSerializer,
    DismissSerializer,
    MergeSerializer,
    RepeatPlaceDetailSerializer,
    RepeatPlaceFeatureSerializer,
)
from .base import KobanAPIView, SnapshotListMixin, validated

TAG = ["repeat places"]
ORDERINGS: dict[str, tuple[str, ...]] = {"-last_reported_at": ("-last_reported_at", "-id")}


class RepeatPlaceFilter(_KobanFilterSet):
    area = area_filter()
    status = choice_list_filter(RepeatPlaceProposal.Status.choices, field_name="status")
    category = category_filter()
    ordering = ordering_filter(ORDERINGS, "-last_reported_at")

    class Meta:
        model = RepeatPlaceProposal
        fields: list[str] = []


class _SupervisorView(KobanAPIView):
    permission_classes = (*KobanAPIView.permission_classes, SeesEverything)


class RepeatPlaceGeoJSONView(SnapshotListMixin, _SupervisorView):
    serializer_class = RepeatPlaceFeatureSerializer
    pagination_class = GeoJSONCursorPagination
    filter_backends = (DjangoFilterBackend,)
    filterset_class = RepeatPlaceFilter
    orderings = ORDERINGS
    default_ordering = "-last_reported_at"

    def get_queryset(self) -> QuerySet[RepeatPlaceProposal]:
        # Waiting proposals unless `status` asks for others.
        qs = repeat_place_proposals_for_list(self.request.user, status=None)
        if "status" not in self.request.query_params:
            qs = qs.filter(status=RepeatPlaceProposal.Status.PROPOSED)
        return qs

    @extend_schema(
        tags=TAG,
        summary="Repeat-place proposals as GeoJSON (waiting ones unless `status` says)",
        parameters=[SEQUENCE_PARAMETER],
        responses={200: RepeatPlaceFeatureSerializer(many=True), **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return self.list(request)


class _OneProposalView(_SupervisorView):
    def get_queryset(self) -> QuerySet[RepeatPlaceProposal]:
        return repeat_place_proposals_for_list(self.request.user, status=None)

    def detail(self, request: Request, pk: int) -> Response:
        proposal = repeat_place_proposal_for_detail(request.user).get(pk=pk)
        return Response(RepeatPlaceDetailSerializer(proposal, context={"request": request}).data)


class RepeatPlaceDetailView(_OneProposalView):
    @extend_schema(
        tags=TAG,
        summary="One proposal: its incidents, time pattern, rule and decision history",
        responses={200: RepeatPlaceDetailSerializer, **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        return self.detail(request, self.get_object().pk)


class RepeatPlaceAcceptView(_OneProposalView):
    @extend_schema(
        tags=TAG,
        summary="Accept: open a concern on the place with the incidents linked",
        request=AcceptSerializer,
        responses={200: RepeatPlaceDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = self.get_object()
        data = validated(AcceptSerializer, request)
        services.repeat_place_accept(proposal=proposal, actor=request.user, **data)
        return self.detail(request, proposal.pk)


class RepeatPlaceMergeView(_OneProposalView):
    @extend_schema(
        tags=TAG,
        summary="Merge the incidents into an existing open concern",
        request=MergeSerializer,
        responses={200: RepeatPlaceDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = self.get_object()
        data = validated(MergeSerializer, request)
        services.repeat_place_merge(proposal=proposal, actor=request.user, **data)
        return self.detail(request, proposal.pk)


class RepeatPlaceDismissView(_OneProposalView):
    @extend_schema(
        tags=TAG,
        summary="Dismiss with a reason; not proposed again unless a new incident joins",
        request=DismissSerializer,
        responses={200: RepeatPlaceDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = self.get_object()
        data = validated(DismissSerializer, request)
        services.repeat_place_dismiss(proposal=proposal, actor=request.user, **data)
        return self.detail(request, proposal.pk)
