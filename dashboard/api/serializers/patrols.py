"""Patrols, their map features and position history, and the inputs of position and status."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from incidents import selectors
from incidents.models import Patrol, PatrolKind, PatrolStatus

from .common import PointField, StrictInputSerializer, UTCDateTimeField


class PatrolSerializer(serializers.Serializer):
    """Expects a row from `selectors.patrols_for_list` (members prefetched)."""

    id = serializers.IntegerField()
    call_sign = serializers.CharField()
    kind = serializers.ChoiceField(choices=PatrolKind.choices)
    status = serializers.ChoiceField(choices=PatrolStatus.choices)
    area = serializers.IntegerField(source="area_id", allow_null=True)
    area_name = serializers.CharField(allow_null=True)
    members = serializers.SerializerMethodField()
    vehicle_id = serializers.CharField(allow_null=True)
    location = PointField(source="last_position", allow_null=True)
    position_at = UTCDateTimeField(source="last_position_at", allow_null=True)
    stale = serializers.SerializerMethodField()
    shift_starts_at = UTCDateTimeField(allow_null=True)
    shift_ends_at = UTCDateTimeField(allow_null=True)
    updated_at = UTCDateTimeField()

    def get_members(self, obj: Patrol) -> list[int]:
        return sorted(member.id for member in obj.members.all())

    def get_stale(self, obj: Patrol) -> bool:
        return selectors.position_is_stale(obj.last_position_at)


class PatrolFeatureSerializer(GeoFeatureModelSerializer):
    last_position = GeometryField(precision=6)
    position_at = UTCDateTimeField(source="last_position_at")
    stale = serializers.SerializerMethodField()

    class Meta:
        model = Patrol
        geo_field = "last_position"
        fields = (
            "id",
            "last_position",
            "call_sign",
            "kind",
            "status",
            "area",
            "position_at",
            "stale",
        )

    def get_stale(self, obj: Patrol) -> bool:
        return selectors.position_is_stale(obj.last_position_at)


class PatrolPositionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    location = PointField()
    recorded_at = UTCDateTimeField()
    speed_kmh = serializers.FloatField(allow_null=True)
    heading = serializers.FloatField(allow_null=True)
    source = serializers.CharField()


class PositionInputSerializer(StrictInputSerializer):
    location = PointField()
    recorded_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    speed_kmh = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=400)
    heading = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=360)


class PatrolStatusSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=PatrolStatus.choices)
