"""Incidents: list rows, map features, the detail, and the inputs of each operation."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from incidents import selectors
from incidents.models import AccessPurpose, Category, Incident, IncidentStatus, Priority

from .common import (
    PointField,
    StrictInputSerializer,
    UTCDateTimeField,
    VisibleRelatedField,
    display_name,
)
from .followups import FollowUpSerializer
from .timeline import TimelineEntrySerializer


class IncidentListSerializer(serializers.Serializer):
    """A list row; expects rows from `selectors.incidents_for_list` (area_name annotated)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField(source="category.code")
    priority = serializers.ChoiceField(choices=Priority.choices)
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    location = PointField(allow_null=True)
    address = serializers.CharField()
    area = serializers.IntegerField(source="area_id", allow_null=True)
    area_name = serializers.CharField(allow_null=True)
    concern = serializers.IntegerField(source="concern_id", allow_null=True)
    assigned_officer = serializers.IntegerField(source="assigned_officer_id", allow_null=True)
    assigned_patrol = serializers.IntegerField(source="assigned_patrol_id", allow_null=True)
    reported_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()


class IncidentFeatureSerializer(GeoFeatureModelSerializer):
    """A map feature: id = incident id, geometry = its point."""

    location = GeometryField(precision=6)
    category = serializers.CharField(source="category.code")
    area_name = serializers.CharField(allow_null=True)
    reported_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()

    class Meta:
        model = Incident
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
            "reported_at",
            "updated_at",
            "concern",
        )


class ReporterSerializer(serializers.Serializer):
    """A resident's contact: personal data, shown only to those who need it (access logged)."""

    name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    phone = serializers.CharField(max_length=50, allow_blank=True, required=False)
    email = serializers.EmailField(max_length=254, allow_blank=True, required=False)
    # Issue 15 (residents/): the language the resident is written to in.
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.KOBAN_RESIDENT_LANGUAGES],
        required=False,
        help_text="The resident's language for messages (default: the force's setting).",
    )


class IncidentDetailSerializer(serializers.Serializer):
    """Everything about one incident except the reporter's contact, which only an explicit,
    logged reveal with a purpose shows (`POST .../reveal-contact/`)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    category = serializers.CharField(source="category.code")
    priority = serializers.ChoiceField(choices=Priority.choices)
    status = serializers.ChoiceField(choices=IncidentStatus.choices)
    allowed_transitions = serializers.ListField(child=serializers.CharField())
    location = PointField(allow_null=True)
    address = serializers.CharField()
    area = serializers.IntegerField(source="area_id", allow_null=True)
    area_name = serializers.CharField(allow_null=True)
    reported_at = UTCDateTimeField()
    occurred_at = UTCDateTimeField(allow_null=True)
    resolved_at = UTCDateTimeField(allow_null=True)
    closed_at = UTCDateTimeField(allow_null=True)
    created_at = UTCDateTimeField()
    updated_at = UTCDateTimeField()
    concern = serializers.IntegerField(source="concern_id", allow_null=True)
    concern_reference = serializers.SerializerMethodField()
    concern_title = serializers.SerializerMethodField()
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", allow_null=True)
    assigned_officer = serializers.IntegerField(source="assigned_officer_id", allow_null=True)
    assigned_officer_name = serializers.SerializerMethodField()
    assigned_patrol = serializers.IntegerField(source="assigned_patrol_id", allow_null=True)
    assigned_patrol_call_sign = serializers.SerializerMethodField()
    source = serializers.CharField()
    external_id = serializers.CharField(allow_null=True)
    timeline = TimelineEntrySerializer(many=True)
    followups = FollowUpSerializer(many=True)
    has_reporter_contact = serializers.BooleanField(
        help_text="A resident's contact is held for this incident (reveal it with a purpose)."
    )
    can_reveal_contact = serializers.SerializerMethodField()

    def get_concern_reference(self, obj: Incident) -> str | None:
        return obj.concern.reference if obj.concern_id else None

    def get_concern_title(self, obj: Incident) -> str | None:
        return obj.concern.title if obj.concern_id else None

    def get_assigned_officer_name(self, obj: Incident) -> str:
        return display_name(obj.assigned_officer)

    def get_assigned_patrol_call_sign(self, obj: Incident) -> str:
        return obj.assigned_patrol.call_sign if obj.assigned_patrol_id else ""

    def get_can_reveal_contact(self, obj: Incident) -> bool:
        return bool(self.context.get("can_reveal_contact"))


# --- Inputs --------------------------------------------------------------------------------------


class CategoryField(serializers.SlugRelatedField):
    """A category code; text PostgreSQL could not even compare (NUL) is refused first."""

    def to_internal_value(self, data: Any) -> Category:
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def _category_field(**kwargs: Any) -> serializers.SlugRelatedField:
    return CategoryField(
        slug_field="code",
        queryset=Category.objects.filter(active=True),
        error_messages={"does_not_exist": "Unknown category '{value}'."},
        help_text="Category code (see /api/v1/categories/).",
        **kwargs,
    )


class IncidentCreateSerializer(StrictInputSerializer):
    category = _category_field()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.MEDIUM)
    title = serializers.CharField(max_length=200, allow_blank=True, default="")
    description = serializers.CharField(max_length=20000, allow_blank=True, default="")
    location = PointField(allow_null=True, required=False, default=None)
    address = serializers.CharField(max_length=255, allow_blank=True, default="")
    reported_at = serializers.DateTimeField(required=False, help_text="Default: now.")
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    reporter = ReporterSerializer(
        required=False, allow_null=True, help_text="The resident who reported it (optional)."
    )


class IncidentUpdateSerializer(StrictInputSerializer):
    """Descriptive fields and the location; status changes go through /transition/."""

    category = _category_field(required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    description = serializers.CharField(max_length=20000, allow_blank=True, required=False)
    location = PointField(allow_null=True, required=False)
    address = serializers.CharField(max_length=255, allow_blank=True, required=False)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)


class IncidentTransitionSerializer(StrictInputSerializer):
    status = serializers.ChoiceField(choices=IncidentStatus.choices, help_text="The new status.")
    note = serializers.CharField(max_length=5000, allow_blank=True, default="")
    duplicate_of = VisibleRelatedField(
        selector=selectors.incidents_visible_to,
        what="incident",
        required=False,
        allow_null=True,
        help_text="For status `duplicate`: the incident this one repeats.",
    )


class NoteSerializer(StrictInputSerializer):
    text = serializers.CharField(max_length=5000)


class LinkConcernSerializer(StrictInputSerializer):
    concern = VisibleRelatedField(
        selector=selectors.concerns_visible_to,
        what="concern",
        allow_null=True,
        help_text="The concern this incident is part of, or null to unlink.",
    )


class RevealContactSerializer(StrictInputSerializer):
    purpose = serializers.SlugRelatedField(
        slug_field="code",
        queryset=AccessPurpose.objects.filter(active=True),
        error_messages={"does_not_exist": "Unknown purpose '{value}'."},
        help_text="Why you need the contact: a code from /api/v1/access-purposes/.",
    )
    purpose_text = serializers.CharField(
        max_length=400,
        allow_blank=True,
        default="",
        help_text="Your reason in words; required for purposes such as `other`.",
    )


class RevealedContactSerializer(serializers.Serializer):
    """The contact, answered once per reveal; `preferred_contact` and consent help reach them."""

    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    preferred_contact = serializers.CharField()
    consent_to_contact = serializers.BooleanField()
    language = serializers.CharField(help_text="The language the resident is written to in.")


class AccessPurposeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.SerializerMethodField()
    needs_text = serializers.BooleanField()

    def get_name(self, obj: AccessPurpose) -> str:
        return obj.label(self.context.get("language"))
