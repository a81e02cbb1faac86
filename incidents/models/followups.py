"""Follow-ups: work assigned on an incident or a concern, with a due date and an outcome."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import FOLLOWUP_OPEN_STATUSES, FOLLOWUP_TRANSITIONS, FollowUpStatus


class FollowUp(models.Model):
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followups",
    )
    concern = models.ForeignKey(
        "incidents.NeighbourhoodConcern",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="followups",
    )
    title = models.CharField(_("what to do"), max_length=255)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("assigned officer"),
    )
    assignee_patrol = models.ForeignKey(
        "incidents.Patrol",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("assigned patrol"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followups_assigned",
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True)
    tell_resident = models.BooleanField(_("tell the resident"), default=False)
    resident_told_at = models.DateTimeField(_("resident told at"), null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        constraints = [
            models.CheckConstraint(
                condition=Q(incident__isnull=False, concern__isnull=True)
                | Q(incident__isnull=True, concern__isnull=False),
                name="followup_on_exactly_one_item",
            ),
            models.CheckConstraint(
                condition=Q(assignee__isnull=False) | Q(assignee_patrol__isnull=False),
                name="followup_has_assignee",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return self.title

    def allowed_transitions(self) -> tuple[str, ...]:
        return FOLLOWUP_TRANSITIONS.get(self.status, ())

    @property
    def is_open(self) -> bool:
        return self.status in FOLLOWUP_OPEN_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    @property
    def item(self) -> models.Model:
        return self.incident if self.incident_id else self.concern  # type: ignore[return-value]
