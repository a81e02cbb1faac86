"""Dispatch: the inputs of dispatch, reassign and stand-down, and the nearest-patrol rows."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from incidents import selectors
from incidents.models import PatrolStatus

from .common import (
    PointField,
    StrictInputSerializer,
    UTCDateTimeField,
    VisibleRelatedField,
    assignable_user_field,
)


def _patrol_field() -> VisibleRelatedField:
    return VisibleRelatedField(
        selector=selectors.patrols_visible_to,
        what="patrol",
        required=False,
        allow_null=True,
        help_text="The patrol to send (see .../nearest-patrols/).",
    )


class DispatchSerializer(StrictInputSerializer):
    """A patrol, an officer, or both; at least one (the domain says so with a field error)."""

    patrol = _patrol_field()
    officer = assignable_user_field("The officer to send (alone or with the patrol).")
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")


class StandDownSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class NearestPatrolSerializer(serializers.Serializer):
    """An available patrol with its distance from the incident and its position's age."""

    id = serializers.IntegerField(source="patrol.id")
    call_sign = serializers.CharField(source="patrol.call_sign")
    kind = serializers.CharField(source="patrol.kind", help_text="foot, car, motorbike or bicycle.")
    status = serializers.ChoiceField(source="patrol.status", choices=PatrolStatus.choices)
    area_name = serializers.CharField(source="patrol.area_name", allow_null=True)
    members = serializers.SerializerMethodField()
    location = PointField(source="patrol.last_position", allow_null=True)
    distance_m = serializers.IntegerField(
        allow_null=True, help_text="Metres from the incident (null without a position)."
    )
    position_at = UTCDateTimeField(allow_null=True)
    position_age_s = serializers.IntegerField(
        allow_null=True, help_text="Seconds since the position was recorded."
    )
    stale = serializers.BooleanField(
        help_text="The position is older than KOBAN_POSITION_STALE_MINUTES (listed after "
        "fresh ones)."
    )

    def get_members(self, row: dict[str, Any]) -> list[int]:
        return sorted(member.id for member in row["patrol"].members.all())
