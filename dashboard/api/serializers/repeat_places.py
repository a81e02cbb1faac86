"""Repeat-place proposals: map features, the detail with its decision history, and the
inputs of a supervisor's decision. Places and times only: no person is ever in a proposal."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from incidents import selectors
from incidents.models import RepeatPlaceDecision, RepeatPlaceProposal

from .common import PointField, StrictInputSerializer, UTCDateTimeField, VisibleRelatedField


class RepeatPlaceFeatureSerializer(GeoFeatureModelSerializer):
    place = GeometryField(precision=6)
    category = serializers.CharField(source="category.code")
    area_name = serializers.CharField(allow_null=True)
    incidents = serializers.SerializerMethodField()
    first_reported_at = UTCDateTimeField()
    last_reported_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        model = RepeatPlaceProposal
        geo_field = "place"
        fields = (
            "id",
            "place",
            "status",
            "category",
            "incident_count",
            "incidents",
            "radius_m",
            "area",
            "area_name",
            "reason",
            "first_reported_at",
            "last_reported_at",
            "concern",
            "updated_at",
        )

    def get_incidents(self, obj: RepeatPlaceProposal) -> list[int]:
        return [i.id for i in obj.incidents.all()]


class RepeatPlaceDecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=RepeatPlaceDecision.Action.choices)
    action_label = serializers.CharField(source="get_action_display")
    actor = serializers.CharField(source="actor_name")
    reason = serializers.CharField()
    data = serializers.JSONField()
    created_at = UTCDateTimeField()


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class RepeatPlaceDetailSerializer(serializers.Serializer):
    """Expects a row from `repeat_place_proposal_for_detail`."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RepeatPlaceProposal.Status.choices)
    status_label = serializers.CharField(source="get_status_display")
    category = serializers.CharField(source="category.code")
    category_label = serializers.SerializerMethodField()
    incident_count = serializers.IntegerField()
    incidents = MemberSerializer(many=True)
    centre = PointField()
    radius_m = serializers.IntegerField()
    area = serializers.IntegerField(source="area_id", allow_null=True)
    area_name = serializers.CharField(allow_null=True)
    first_reported_at = UTCDateTimeField()
    last_reported_at = UTCDateTimeField()
    hours = serializers.ListField(child=serializers.IntegerField(), help_text="0h to 23h")
    weekdays = serializers.ListField(child=serializers.IntegerField(), help_text="Monday first")
    reason = serializers.CharField()
    rule_parameters = serializers.DictField(child=serializers.IntegerField())
    concern = serializers.IntegerField(source="concern_id", allow_null=True)
    concern_reference = serializers.CharField(source="concern.reference", allow_null=True)
    decided_at = UTCDateTimeField(allow_null=True)
    decision_reason = serializers.CharField()
    decisions = RepeatPlaceDecisionSerializer(many=True)

    def get_category_label(self, obj: RepeatPlaceProposal) -> str:
        request = self.context.get("request")
        return obj.category.label(getattr(request, "LANGUAGE_CODE", None))


# --- Inputs --------------------------------------------------------------------------------------


class AcceptSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200, allow_blank=True, default="")
    note = serializers.CharField(max_length=5000, allow_blank=True, default="")


class MergeSerializer(StrictInputSerializer):
    concern = VisibleRelatedField(
        selector=selectors.concerns_visible_to,
        what="concern",
        help_text="Id of the open concern that takes the incidents.",
    )
    note = serializers.CharField(max_length=5000, allow_blank=True, default="")


class DismissSerializer(StrictInputSerializer):
    reason = serializers.CharField(
        max_length=5000, allow_blank=True, help_text="Why it is not a repeat place (required)."
    )
