"""Input serializers check shape only; the services validate meaning (InvalidInput -> 400)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from koban.limits import InputTooDeep, check_depth, loads_limited

from ..models import RejectedRecord, Source, SyncRun


class ConfigField(serializers.JSONField):
    """A configuration mapping, parsed (form-encoded text) or checked (JSON body) within
    MAX_JSON_DEPTH: deep nesting is a field error, never a RecursionError."""

    def to_internal_value(self, data: Any) -> Any:
        try:
            if getattr(data, "is_json_string", False):
                data = loads_limited(data)
            else:
                check_depth(data)
        except InputTooDeep as exc:
            raise serializers.ValidationError(str(exc)) from None
        except ValueError:
            self.fail("invalid")
        return super().to_internal_value(data)


class RunSerializer(serializers.ModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)
    requested_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    heartbeat_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="Last sign of life of the worker running it (every few seconds while running).",
    )
    worker = serializers.CharField(
        read_only=True, help_text="Celery hostname of the worker running (or that last ran) it."
    )
    worker_pid = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="That worker's process id."
    )
    notes = serializers.CharField(
        read_only=True,
        help_text="What recovery did and why: take-overs after a worker died, re-sent tasks.",
    )

    class Meta:
        model = SyncRun
        fields = [
            "id",
            "source",
            "source_name",
            "status",
            "trigger",
            "requested_by",
            "queued_at",
            "started_at",
            "finished_at",
            "attempts",
            *SyncRun.COUNTS,
            "error",
            "upload_name",
            "heartbeat_at",
            "worker",
            "worker_pid",
            "retry_at",
            "recoveries",
            "requeues",
            "notes",
        ]
        read_only_fields = fields


class SourceSerializer(serializers.ModelSerializer):
    last_run = serializers.SerializerMethodField()
    open_rejected = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "adapter",
            "description",
            "config",
            "schedule",
            "enabled",
            "cursor",
            "created_at",
            "updated_at",
            "last_run",
            "open_rejected",
        ]
        read_only_fields = fields

    def get_last_run(self, source: Source) -> dict | None:
        run = self.context.get("last_runs", {}).get(getattr(source, "last_run_id", None))
        if run is None and not hasattr(source, "last_run_id"):
            run = source.runs.defer("upload").first()
        return RunSerializer(run).data if run is not None else None

    def get_open_rejected(self, source: Source) -> int:
        if hasattr(source, "open_rejected"):
            return source.open_rejected
        return source.rejected_records.filter(status=RejectedRecord.Status.OPEN).count()


class SourceInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    adapter = serializers.CharField(max_length=50)
    config = ConfigField()
    schedule = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    enabled = serializers.BooleanField(required=False, default=True)
    description = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default=""
    )


class SourceUpdateSerializer(serializers.Serializer):
    adapter = serializers.CharField(max_length=50, required=False)
    config = ConfigField(required=False)
    schedule = serializers.CharField(max_length=100, required=False, allow_blank=True)
    enabled = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    reset_cursor = serializers.BooleanField(
        required=False, help_text="Start the next run from the beginning."
    )


class RunNowSerializer(serializers.Serializer):
    file = serializers.FileField(
        required=False, help_text="A file for the run to read (CSV sources)."
    )


class DryRunInputSerializer(serializers.Serializer):
    adapter = serializers.CharField(max_length=50)
    config = ConfigField()
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


class DryRunLimitSerializer(serializers.Serializer):
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


class DryRunRecordSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    raw = serializers.JSONField()
    mapped = serializers.JSONField(allow_null=True)
    error = serializers.CharField(allow_null=True)


class DryRunSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    records = DryRunRecordSerializer(many=True)


class RejectedSerializer(serializers.ModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)
    # Residents' personal fields masked (integrations.masking).
    payload = serializers.JSONField(source="masked_payload", read_only=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RejectedRecord
        fields = [
            "id",
            "source",
            "source_name",
            "run",
            "external_id",
            "payload",
            "reason",
            "status",
            "times_seen",
            "created_at",
            "updated_at",
            "resolved_at",
            "resolved_by",
        ]
        read_only_fields = fields


class ReplaySerializer(serializers.Serializer):
    outcome = serializers.CharField()
    record = RejectedSerializer()


class AdapterSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    produces = serializers.CharField()
    accepts_upload = serializers.BooleanField()
    schema = serializers.JSONField(help_text="JSON schema of the adapter's configuration.")
