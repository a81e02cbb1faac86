"""API views: parse input, call one service or selector, serialize. No rules here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from incidents import roles
from incidents.errors import InvalidInput
from koban.limits import LimitedJSONParser

from .. import selectors, services
from ..adapters import registry
from ..models import RejectedRecord, Source, SyncRun
from .serializers import (
    AdapterSerializer,
    DryRunInputSerializer,
    DryRunLimitSerializer,
    DryRunSerializer,
    RejectedSerializer,
    ReplaySerializer,
    RunNowSerializer,
    RunSerializer,
    SourceInputSerializer,
    SourceSerializer,
    SourceUpdateSerializer,
)

TAG = ["integrations"]


class IsIntegrator(BasePermission):
    """IT staff (Integrator) and administrators manage integrations."""

    message = "Only integrators and administrators manage integrations."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated) and roles.is_integrator(
            request.user
        )


class NewestFirst(CursorPagination):
    ordering = "-id"
    page_size = 50
    max_page_size = 500
    page_size_query_param = "page_size"


def _valid(serializer_class: type, request: Request, **kwargs: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class IntegrationsView(APIView):
    permission_classes = (IsIntegrator,)


def _source_data(source: Source) -> dict[str, Any]:
    return SourceSerializer(source).data


class AdapterListView(IntegrationsView):
    @extend_schema(
        tags=TAG,
        summary="Adapters and their configuration schema",
        responses=AdapterSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        data = [
            {
                "kind": a.kind,
                "label": a.label,
                "produces": a.produces,
                "accepts_upload": a.accepts_upload,
                "schema": a.Config.model_json_schema(),
            }
            for a in registry.all()
        ]
        return Response(AdapterSerializer(data, many=True).data)


class SourceListCreateView(IntegrationsView):
    @extend_schema(tags=TAG, summary="Sources", responses=SourceSerializer(many=True))
    def get(self, request: Request) -> Response:
        sources = list(selectors.sources_with_last_run())
        last_runs = selectors.runs_by_id([s.last_run_id for s in sources])
        data = SourceSerializer(sources, many=True, context={"last_runs": last_runs}).data
        return Response(data)

    @extend_schema(
        tags=TAG,
        summary="Create a source (400 with field messages if invalid)",
        request=SourceInputSerializer,
        responses={201: SourceSerializer},
    )
    def post(self, request: Request) -> Response:
        source = services.source_create(**_valid(SourceInputSerializer, request))
        return Response(_source_data(source), status=status.HTTP_201_CREATED)


class SourceDetailView(IntegrationsView):
    @extend_schema(tags=TAG, summary="One source", responses=SourceSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_source_data(get_object_or_404(Source, pk=pk)))

    @extend_schema(
        tags=TAG,
        summary="Change a source (the name is fixed)",
        request=SourceUpdateSerializer,
        responses=SourceSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        source = get_object_or_404(Source, pk=pk)
        source, _ = services.source_update(source=source, **_valid(SourceUpdateSerializer, request))
        return Response(_source_data(source))

    @extend_schema(
        tags=TAG,
        summary="Replace a source's settings",
        request=SourceInputSerializer,
        responses=SourceSerializer,
    )
    def put(self, request: Request, pk: int) -> Response:
        source = get_object_or_404(Source, pk=pk)
        data = _valid(SourceInputSerializer, request)
        if data.pop("name") != source.name:
            raise InvalidInput({"name": ["A source's name keys its records and cannot change."]})
        source, _ = services.source_update(source=source, **data)
        return Response(_source_data(source))

    @extend_schema(tags=TAG, summary="Delete a source (imported items stay)", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.source_delete(source=get_object_or_404(Source, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceRunView(IntegrationsView):
    parser_classes = (LimitedJSONParser, MultiPartParser, FormParser)

    @extend_schema(
        tags=TAG,
        summary="Run now (202; an active run is returned rather than doubled)",
        request=RunNowSerializer,
        responses={202: RunSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        source = get_object_or_404(Source, pk=pk)
        upload = _valid(RunNowSerializer, request).get("file")
        run, _ = services.run_now(
            source=source,
            user=request.user,
            upload=upload.read() if upload is not None else None,
            name=getattr(upload, "name", "") or "",
        )
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class SourceTestConnectionView(IntegrationsView):
    @extend_schema(
        tags=TAG,
        summary="Dry run of a saved source: the first records as mapped, nothing written",
        request=DryRunLimitSerializer,
        responses=DryRunSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        source = get_object_or_404(Source, pk=pk)
        limit = _valid(DryRunLimitSerializer, request)["limit"]
        result = services.source_dry_run(
            adapter=source.adapter, config=source.config, limit=limit, cursor=source.cursor
        )
        return Response(DryRunSerializer(result.as_dict()).data)


class TestConnectionView(IntegrationsView):
    @extend_schema(
        tags=TAG,
        summary="Dry run of an unsaved configuration",
        request=DryRunInputSerializer,
        responses=DryRunSerializer,
    )
    def post(self, request: Request) -> Response:
        data = _valid(DryRunInputSerializer, request)
        result = services.source_dry_run(**data)
        return Response(DryRunSerializer(result.as_dict()).data)


class SourceRunsView(GenericAPIView):
    permission_classes = (IsIntegrator,)
    serializer_class = RunSerializer
    pagination_class = NewestFirst

    def get_queryset(self) -> QuerySet[SyncRun]:
        source = get_object_or_404(Source, pk=self.kwargs["pk"])
        return selectors.runs_for_source(source).select_related("source", "requested_by")

    @extend_schema(tags=TAG, summary="A source's run history, newest first")
    def get(self, request: Request, pk: int) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(RunSerializer(page, many=True).data)


class RunDetailView(IntegrationsView):
    @extend_schema(tags=TAG, summary="One run (poll it for progress)", responses=RunSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(RunSerializer(get_object_or_404(selectors.runs_all(), pk=pk)).data)


class RejectedListView(GenericAPIView):
    permission_classes = (IsIntegrator,)
    serializer_class = RejectedSerializer
    pagination_class = NewestFirst

    @extend_schema(
        tags=TAG,
        summary="Rejected records",
        parameters=[
            OpenApiParameter("source", int, description="Source id"),
            OpenApiParameter("status", str, enum=RejectedRecord.Status.values),
        ],
    )
    def get(self, request: Request) -> Response:
        source_id = request.query_params.get("source")
        source = get_object_or_404(Source, pk=source_id) if source_id else None
        wanted = request.query_params.get("status") or None
        if wanted and wanted not in RejectedRecord.Status.values:
            raise InvalidInput({"status": [f"Use one of {', '.join(RejectedRecord.Status)}."]})
        page = self.paginate_queryset(selectors.rejected_records(source=source, status=wanted))
        return self.get_paginated_response(RejectedSerializer(page, many=True).data)


class RejectedReplayView(IntegrationsView):
    @extend_schema(
        tags=TAG,
        summary="Map the raw payload again with the current configuration and import it",
        request=None,
        responses=ReplaySerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        record = get_object_or_404(RejectedRecord, pk=pk)
        record, outcome = services.rejected_replay(record=record, actor=request.user)
        return Response({"outcome": outcome, "record": RejectedSerializer(record).data})


class RejectedDismissView(IntegrationsView):
    @extend_schema(
        tags=TAG, summary="Dismiss a rejected record", request=None, responses=RejectedSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        record = services.rejected_dismiss(
            record=get_object_or_404(RejectedRecord, pk=pk), actor=request.user
        )
        return Response(RejectedSerializer(record).data)
