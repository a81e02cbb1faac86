"""Sources (a configured adapter), their sync runs, and the records a run could not import."""

from __future__ import annotations

from typing import Any

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    append_only=True,
    model_name="SourceEvent",
)
class Source(models.Model):
    """One municipal system wired in by configuration.

    `adapter` names an entry of the adapter registry and deliberately has no `choices`, so
    adding an adapter needs no migration; services validate it and `config` against the
    adapter's typed schema. `name` is also the `source` of every record it imports, so it is
    fixed once created.
    """

    name = models.SlugField(_("name"), max_length=64, unique=True)
    adapter = models.CharField(_("adapter"), max_length=50)
    description = models.CharField(_("description"), max_length=255, blank=True)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    # "" = manual runs only; "900" = every 900 seconds; "*/15 * * * *" = crontab.
    schedule = models.CharField(_("schedule"), max_length=100, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Where the next run starts (adapter-specific, e.g. {"since": "2011-06-28T12:59:00+00:00"}).
    cursor = models.JSONField(_("cursor"), default=dict, blank=True)
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self) -> str:
        return self.name


class SyncRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        PARTIAL = "partial", _("Succeeded with rejected records")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("Run now")
        COMMAND = "command", _("Command")
        UPLOAD = "upload", _("Uploaded file")

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.PARTIAL, Status.FAILED)
    COUNTS = (
        "fetched",
        "processed",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "rejected",
        "not_located",
    )

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.QUEUED
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Written with each progress update and every KOBAN_SYNC_HEARTBEAT_SECONDS: for people.
    # Whether the worker is alive is the run's advisory lock (services/runs.py), not this time.
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    # The worker running (or that last ran) this run: Celery hostname and process id.
    worker = models.CharField(_("worker"), max_length=255, blank=True)
    worker_pid = models.PositiveIntegerField(_("worker process id"), null=True, blank=True)
    # The Celery task last sent for this run and when; a retry waits until `retry_at`.
    task_id = models.CharField(max_length=64, blank=True)
    enqueued_at = models.DateTimeField(_("sent to the workers at"), null=True, blank=True)
    retry_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # Each claim counts an attempt (retries and take-overs included); `recoveries` counts the
    # times the run was found running without a live worker, `requeues` the times a queued run
    # nobody picked up was sent again. `notes` says, in words, what recovery did and why.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    recoveries = models.PositiveSmallIntegerField(_("recoveries"), default=0)
    requeues = models.PositiveSmallIntegerField(_("re-sent"), default=0)
    notes = models.TextField(_("recovery notes"), blank=True)
    fetched = models.PositiveIntegerField(_("fetched"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    not_located = models.PositiveIntegerField(_("not located"), default=0)
    error = models.TextField(_("error"), blank=True)
    cursor_before = models.JSONField(default=dict, blank=True)
    cursor_after = models.JSONField(null=True, blank=True)
    # A file uploaded for this run (CSV sources); kept in the database so that a worker on
    # another machine reads exactly what was uploaded.
    upload = models.BinaryField(null=True, blank=True, editable=False)
    upload_name = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        constraints = [
            # Never two runs of one source at once: at most one queued-or-running run each.
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_run_per_source",
            ),
        ]
        indexes = [models.Index(fields=["source", "-queued_at"])]

    def __str__(self) -> str:
        return f"{self.source_id}#{self.pk} {self.status}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def holder(self) -> str:
        """Who runs (or last ran) it, for people: "celery@host, process 1234"."""
        if not self.worker:
            return ""
        return f"{self.worker}, process {self.worker_pid}" if self.worker_pid else self.worker


class RejectedRecord(models.Model):
    """A record a run could not import, with its raw payload and why; kept until replayed."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        REPLAYED = "replayed", _("Replayed")
        DISMISSED = "dismissed", _("Dismissed")

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="rejected_records")
    run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="rejected_records"
    )
    # Hash of the raw payload: the same bad record seen by the next run is not stored twice.
    fingerprint = models.CharField(max_length=64)
    external_id = models.CharField(_("external id"), max_length=128, blank=True)
    payload = models.JSONField(_("raw payload"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.OPEN
    )
    times_seen = models.PositiveIntegerField(default=1)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("rejected record")
        verbose_name_plural = _("rejected records")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "fingerprint"], name="rejected_record_source_fingerprint"
            )
        ]
        indexes = [models.Index(fields=["source", "status"])]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.external_id or self.fingerprint[:8]}"

    @property
    def masked_payload(self) -> Any:
        """The payload as people may see it: residents' personal fields masked."""
        from .masking import mask_payload, source_personal_keys

        return mask_payload(self.payload, source_personal_keys(self.source.config))
