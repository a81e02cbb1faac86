"""Timeline entries: the same shape as the live feed's `timeline.added` payload."""

from __future__ import annotations

from rest_framework import serializers

from .common import UTCDateTimeField


class TimelineEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    incident = serializers.IntegerField(source="incident_id", allow_null=True)
    concern = serializers.IntegerField(source="concern_id", allow_null=True)
    kind = serializers.CharField()
    actor = serializers.CharField(source="actor_name", help_text="Who acted (name or source).")
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    text = serializers.CharField()
    created_at = UTCDateTimeField()
