"""The map asks for what it shows: counts per grid cell at city and district zoom, incidents
(up to a limit, with the true total) closer in. Both start from the visibility rule and the
map's filters; PostgreSQL counts and encodes (incidents.map_selectors)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request

from incidents import map_selectors, selectors
from incidents.models import Incident

from ..docs import AUTH_ERRORS, SEQUENCE_HEADER, errors
from ..filters import IncidentFilter
from ..serializers.map import (
    MapCellsQuerySerializer,
    MapCellsSerializer,
    MapFeaturesQuerySerializer,
    MapFeaturesSerializer,
)
from .base import KobanAPIView

TAG = ["map"]


class _MapView(KobanAPIView):
    filter_backends = (DjangoFilterBackend,)
    filterset_class = IncidentFilter
    query_serializer: type = MapCellsQuerySerializer

    def get_queryset(self) -> QuerySet[Incident]:
        return selectors.incidents_visible_to(self.request.user).filter(location__isnull=False)

    def viewport(self, request: Request) -> tuple[dict, QuerySet[Incident]]:
        """The checked query (400 with field messages) and the visible incidents the filters
        select (the filter set's `bbox`, which the query serializer makes required)."""
        query = self.query_serializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return query.validated_data, self.filter_queryset(self.get_queryset())

    def json(self, body: str, sequence: int) -> HttpResponse:
        response = HttpResponse(body, content_type="application/json")
        response[SEQUENCE_HEADER] = str(sequence)
        return response


class IncidentMapCellsView(_MapView):
    query_serializer = MapCellsQuerySerializer

    @extend_schema(
        tags=TAG,
        summary="Incident counts per grid cell in the viewport (city and district zoom)",
        description="Counts every visible incident the filters select in the viewport, by "
        "status and priority, in cells of a quarter of a map tile at this zoom.",
        parameters=[MapCellsQuerySerializer],
        filters=True,
        responses={200: MapCellsSerializer, **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> HttpResponse:
        sequence = selectors.latest_event_sequence()
        query, qs = self.viewport(request)
        return self.json(map_selectors.incident_cells(qs, zoom=query["zoom"]), sequence)


class IncidentMapFeaturesView(_MapView):
    query_serializer = MapFeaturesQuerySerializer

    @extend_schema(
        tags=TAG,
        summary="The newest incidents in the viewport, up to a limit, with the true total",
        description="A GeoJSON FeatureCollection; `limited` is true when the viewport holds "
        "more than `limit` incidents (`total` counts them all).",
        parameters=[MapFeaturesQuerySerializer],
        filters=True,
        responses={200: MapFeaturesSerializer, **errors(400, *AUTH_ERRORS)},
    )
    def get(self, request: Request) -> HttpResponse:
        sequence = selectors.latest_event_sequence()
        query, qs = self.viewport(request)
        return self.json(map_selectors.incident_features(qs, limit=query["limit"]), sequence)
