"""Dispatch endpoints: the nearest available patrols for an incident, dispatch, reassign and
stand down. One view per operation; the rules (who may send which unit) are the domain's
(`incidents.services.authority`), refused with 403; another area's incident is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from incidents import services, work_selectors

from ..docs import AUTH_ERRORS, errors
from ..serializers.dispatch import DispatchSerializer, NearestPatrolSerializer, StandDownSerializer
from ..serializers.incidents import IncidentDetailSerializer
from .base import validated
from .incidents import _OneIncidentView, incident_detail_response

TAG = ["dispatch"]


class NearestPatrolsView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="Available patrols nearest to an incident first",
        description="Distance in metres from each patrol's latest position (PostGIS geography), "
        "with the position's age. Positions older than KOBAN_POSITION_STALE_MINUTES are marked "
        "`stale` and listed after fresh ones; patrols that never reported come last.",
        responses={200: NearestPatrolSerializer(many=True), **errors(*AUTH_ERRORS, 404)},
    )
    def get(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        rows = work_selectors.nearest_rows(work_selectors.patrols_nearest(incident.location))
        return Response(NearestPatrolSerializer(rows, many=True).data)


class IncidentDispatchView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="Send a patrol and/or an officer to a new or acknowledged incident",
        description="Supervisors; an officer only their own patrol, and only when the force "
        "allows it (KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL), else 403. The patrol must be "
        "available (400). 409 when the incident is past dispatch.",
        request=DispatchSerializer,
        responses={200: IncidentDetailSerializer, **errors(400, *AUTH_ERRORS, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data = validated(DispatchSerializer, request)
        services.incident_dispatch(incident=incident, actor=request.user, **data)
        return incident_detail_response(request, incident.pk)


class IncidentReassignView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="Give a dispatched incident to another unit",
        request=DispatchSerializer,
        responses={200: IncidentDetailSerializer, **errors(400, *AUTH_ERRORS, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data = validated(DispatchSerializer, request)
        services.incident_reassign(incident=incident, actor=request.user, **data)
        return incident_detail_response(request, incident.pk)


class IncidentStandDownView(_OneIncidentView):
    @extend_schema(
        tags=TAG,
        summary="Stand the unit down: the incident is acknowledged again, the patrol free",
        request=StandDownSerializer,
        responses={200: IncidentDetailSerializer, **errors(400, *AUTH_ERRORS, 404, 409)},
    )
    def post(self, request: Request, pk: int) -> Response:
        incident = self.get_object()
        data = validated(StandDownSerializer, request)
        services.incident_stand_down(incident=incident, actor=request.user, reason=data["reason"])
        return incident_detail_response(request, incident.pk)
