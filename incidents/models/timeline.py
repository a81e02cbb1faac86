"""The timeline: who did what, when, on an incident or a concern; notes are timeline entries."""

from __future__ import annotations

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TimelineEntry(models.Model):
    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        UPDATED = "updated", _("Updated")
        STATUS = "status", _("Status changed")
        MOVED = "moved", _("Location changed")
        NOTE = "note", _("Note")
        LINKED = "linked", _("Linked")
        FOLLOWUP = "followup", _("Follow-up")
        IMPORTED = "imported", _("Imported")
        # Dispatch (the move to "dispatched" itself is a status entry naming the unit).
        REASSIGNED = "reassigned", _("Unit changed")
        STOOD_DOWN = "stood_down", _("Unit stood down")

    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="timeline",
    )
    concern = models.ForeignKey(
        "incidents.NeighbourhoodConcern",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="timeline",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Kept (with its id) when the user is deleted: the entry must keep saying who acted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Who acted when it was not a person (an adapter: "source:sf311").
    actor_label = models.CharField(max_length=120, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(incident__isnull=False) | Q(concern__isnull=False),
                name="timeline_on_an_item",
            )
        ]
        triggers = [
            pgtrigger.Protect(
                name="timeline_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def actor_name(self) -> str:
        if self.actor_id and self.actor is not None:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.actor_label
