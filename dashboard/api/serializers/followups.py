"""Follow-ups: output rows, and the inputs of assign, complete, cancel and reassign."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from incidents import selectors
from incidents.models import FollowUp, FollowUpStatus

from .common import (
    StrictInputSerializer,
    UTCDateTimeField,
    VisibleRelatedField,
    assignable_user_field,
    display_name,
)


class FollowUpSerializer(serializers.Serializer):
    """One follow-up; expects a row from `selectors.followups_for_list` (area annotated)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    concern = serializers.IntegerField(source="concern_id", allow_null=True)
    item_reference = serializers.SerializerMethodField()
    item_title = serializers.SerializerMethodField()
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    assignee_name = serializers.SerializerMethodField()
    assignee_patrol = serializers.IntegerField(source="assignee_patrol_id", allow_null=True)
    assignee_patrol_call_sign = serializers.SerializerMethodField()
    assigned_by_name = serializers.SerializerMethodField()
    due_at = UTCDateTimeField()
    status = serializers.ChoiceField(choices=FollowUpStatus.choices)
    overdue = serializers.BooleanField(source="is_overdue")
    allowed_transitions = serializers.ListField(child=serializers.CharField())
    outcome = serializers.CharField()
    tell_resident = serializers.BooleanField()
    resident_told_at = UTCDateTimeField(allow_null=True)
    completed_at = UTCDateTimeField(allow_null=True)
    updated_at = UTCDateTimeField()
    area = serializers.IntegerField(source="item_area_id", allow_null=True)
    area_name = serializers.CharField(source="item_area_name", allow_null=True)

    def get_item_reference(self, obj: FollowUp) -> str:
        return obj.item.reference

    def get_item_title(self, obj: FollowUp) -> str:
        return obj.item.title

    def get_assignee_name(self, obj: FollowUp) -> str:
        return display_name(obj.assignee)

    def get_assignee_patrol_call_sign(self, obj: FollowUp) -> str:
        return obj.assignee_patrol.call_sign if obj.assignee_patrol_id else ""

    def get_assigned_by_name(self, obj: FollowUp) -> str:
        return display_name(obj.assigned_by)


def _assignee_field() -> VisibleRelatedField:
    return assignable_user_field("User id of the officer (or supervisor) who does it.")


def _patrol_field() -> VisibleRelatedField:
    return VisibleRelatedField(
        selector=selectors.patrols_visible_to,
        what="patrol",
        required=False,
        allow_null=True,
        help_text="Or the patrol that does it.",
    )


class FollowUpAssignSerializer(StrictInputSerializer):
    incident = VisibleRelatedField(
        selector=selectors.incidents_visible_to, what="incident", required=False, allow_null=True
    )
    concern = VisibleRelatedField(
        selector=selectors.concerns_visible_to, what="concern", required=False, allow_null=True
    )
    title = serializers.CharField(max_length=255, help_text="What is to be done.")
    assignee = _assignee_field()
    assignee_patrol = _patrol_field()
    due_at = serializers.DateTimeField(help_text="When it is due; not in the past.")
    tell_resident = serializers.BooleanField(
        default=False, help_text="Whether the resident must be told the outcome."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("incident") is None) == (attrs.get("concern") is None):
            raise serializers.ValidationError(
                {"incident": ["Give exactly one of incident or concern."]}
            )
        if attrs.get("assignee") is None and attrs.get("assignee_patrol") is None:
            raise serializers.ValidationError(
                {"assignee": ["Give an assignee (officer) or an assignee_patrol."]}
            )
        return attrs


class FollowUpCompleteSerializer(StrictInputSerializer):
    outcome = serializers.CharField(max_length=5000, help_text="What was done.")
    resident_told = serializers.BooleanField(
        default=False, help_text="Whether the resident was told (when they had to be)."
    )


class FollowUpCancelSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=5000, help_text="Why it is no longer needed.")


class FollowUpReassignSerializer(StrictInputSerializer):
    assignee = _assignee_field()
    assignee_patrol = _patrol_field()
    due_at = serializers.DateTimeField(required=False, help_text="A new due date (optional).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("assignee") is None and attrs.get("assignee_patrol") is None:
            raise serializers.ValidationError(
                {"assignee": ["Give an assignee (officer) or an assignee_patrol."]}
            )
        return attrs
