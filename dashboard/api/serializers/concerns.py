"""Neighbourhood concerns: list rows, map features, the detail, and operation inputs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from incidents.models import (
    ConcernPlanEntry,
    ConcernStatus,
    IncidentStatus,
    NeighbourhoodConcern,
    Priority,
)
from incidents.selectors_repeat_places import concern_assessment

from .common import (
    PointField,
    StrictInputSerializer,
    UTCDateTimeField,
    VisibleRelatedField,
    assignable_user_field,
    display_name,
)
from .followups import FollowUpSerializer
from .incidents import _category_field
from .timeline import TimelineEntrySerializer


class ConcernListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.code")
    priority = serializers.ChoiceField(choices=Priority.choices)
    status = serializers.ChoiceField(choices=ConcernStatus.choices)
    raised_by = serializers.ChoiceField(choices=NeighbourhoodConcern.RaisedBy.choices)
    location = PointField(allow_null=True)
    address = serializers.CharField()
    area = serializers.IntegerField(source="area_id", allow_null=True)
    area_name = serializers.CharField(allow_null=True)
    next_review_on = serializers.DateField(allow_null=True)
    owner = serializers.IntegerField(source="owner_id", allow_null=True)
    owner_name = serializers.SerializerMethodField()
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    def get_owner_name(self, obj: NeighbourhoodConcern) -> str:
        return display_name(obj.owner)


class ConcernFeatureSerializer(GeoFeatureModelSerializer):
    location = GeometryField(precision=6)
    category = serializers.CharField(source="category.code")
    area_name = serializers.CharField(allow_null=True)
    updated_at = UTCDateTimeField()

    class Meta:
        model = NeighbourhoodConcern
        geo_field = "location"
        fields = (
            "id",
            "location",
            "reference",
            "title",
            "category",
            "priority",
            "status",
            "area",
            "area_name",
            "address",
            "next_review_on",
            "updated_at",
        )


class LinkedIncidentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.code")
    priority = serializers.ChoiceField(choices=Priority.choices)
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    reported_at = UTCDateTimeField()


class ConcernPlanEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ConcernPlanEntry.Kind.choices)
    text = serializers.CharField()
    who = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    done_on = serializers.DateField(allow_null=True)
    fulfils = serializers.IntegerField(source="fulfils_id", allow_null=True)
    created_at = UTCDateTimeField()


class AssessmentSerializer(serializers.Serializer):
    """Incidents of the concern's category in its place, equal periods before and after the
    response started (issue 16)."""

    response_started_at = UTCDateTimeField(allow_null=True)
    days = serializers.IntegerField(help_text="Length of each period.")
    before_from = UTCDateTimeField(allow_null=True)
    after_to = UTCDateTimeField(allow_null=True)
    before = serializers.IntegerField()
    after = serializers.IntegerField()
    change_percent = serializers.IntegerField(allow_null=True)


class ConcernDetailSerializer(ConcernListSerializer):
    """Expects a row from `selectors.concern_for_detail` (visible incidents prefetched)."""

    published = serializers.BooleanField()
    published_at = UTCDateTimeField(allow_null=True)
    public_summary = serializers.CharField()
    plan = ConcernPlanEntrySerializer(many=True, source="plan_entries.all")

    response_started_at = UTCDateTimeField(allow_null=True)
    assessment_note = serializers.CharField()
    assessment = serializers.SerializerMethodField()

    description = serializers.CharField()
    partners = serializers.CharField()
    allowed_transitions = serializers.ListField(child=serializers.CharField())
    source = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    timeline = TimelineEntrySerializer(many=True)
    followups = FollowUpSerializer(many=True)
    incidents = LinkedIncidentSerializer(many=True, source="visible_incidents")

    @extend_schema_field(AssessmentSerializer)
    def get_assessment(self, obj: NeighbourhoodConcern) -> dict:
        return AssessmentSerializer(concern_assessment(obj)).data


# --- Inputs --------------------------------------------------------------------------------------


def _owner_field() -> VisibleRelatedField:
    return assignable_user_field("User id of the officer who looks after it.")


class ConcernCreateSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    category = _category_field()
    description = serializers.CharField(max_length=20000, allow_blank=True, default="")
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.MEDIUM)
    raised_by = serializers.ChoiceField(
        choices=NeighbourhoodConcern.RaisedBy.choices,
        default=NeighbourhoodConcern.RaisedBy.RESIDENTS,
    )
    location = PointField(allow_null=True, required=False, default=None)
    address = serializers.CharField(max_length=255, allow_blank=True, default="")
    partners = serializers.CharField(max_length=255, allow_blank=True, default="")
    next_review_on = serializers.DateField(required=False, allow_null=True)
    owner = _owner_field()


class ConcernUpdateSerializer(StrictInputSerializer):
    title = serializers.CharField(max_length=200, required=False)
    category = _category_field(required=False)
    description = serializers.CharField(max_length=20000, allow_blank=True, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    location = PointField(allow_null=True, required=False)
    address = serializers.CharField(max_length=255, allow_blank=True, required=False)
    partners = serializers.CharField(max_length=255, allow_blank=True, required=False)
    next_review_on = serializers.DateField(required=False, allow_null=True)
    owner = _owner_field()
    response_started_at = UTCDateTimeField(required=False, allow_null=True)
    assessment_note = serializers.CharField(max_length=5000, allow_blank=True, required=False)


class ConcernTransitionSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=ConcernStatus.choices, help_text="The new status.")
    note = serializers.CharField(max_length=5000, allow_blank=True, default="")
    assessment_note = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text="Did the problem stop? Required to close, unless recorded before.",
    )


class ConcernPlanEntryCreateSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=ConcernPlanEntry.Kind.choices)
    text = serializers.CharField(max_length=2000)
    who = serializers.CharField(max_length=200, allow_blank=True, default="")
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    done_on = serializers.DateField(required=False, allow_null=True, default=None)
    fulfils = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)


class ConcernPublishSerializer(StrictInputSerializer):
    published = serializers.BooleanField()
    public_summary = serializers.CharField(
        max_length=2000, allow_blank=True, required=False, default=None
    )
