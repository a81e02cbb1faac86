"""A message to the resident who reported an incident (drafted from a follow-up's outcome, edited
by the officer, delivered through a channel) and the resident's one answer about it."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


class ResidentMessage(models.Model):
    """One per follow-up. The recipient's address is never copied here: it is read from the
    reporter's contact when the message goes, so erasing the contact leaves nothing behind."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not delivered")

    followup = models.OneToOneField(
        "incidents.FollowUp",
        on_delete=models.CASCADE,
        related_name="resident_message",
        verbose_name=_("follow-up"),
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        related_name="resident_messages",
        verbose_name=_("incident"),
    )
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    status = models.CharField(
        _("delivery"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # Registry code of the channel that carried it (residents.channels); no choices, so a new
    # channel needs no migration.
    channel = models.CharField(_("channel"), max_length=30, blank=True)
    failure_reason = models.CharField(_("reason it failed"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Half of the feedback link's secret; the link is signed with SECRET_KEY as well.
    feedback_nonce = models.CharField(max_length=32, default=new_nonce, editable=False)
    drafted_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("edited by"),
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sent by"),
    )
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-drafted_at", "-id"]
        verbose_name = _("message to a resident")
        verbose_name_plural = _("messages to residents")
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="resident_message_sent_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(failure_reason=""),
                name="resident_message_failure_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"message on follow-up {self.followup_id} ({self.status})"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.FAILED)


class ResidentFeedback(models.Model):
    """The resident's answer to "was the problem solved?": one per message (a unique key, so a
    second submission can never add a row), kept against the follow-up."""

    message = models.OneToOneField(
        ResidentMessage,
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("message"),
    )
    followup = models.ForeignKey(
        "incidents.FollowUp",
        on_delete=models.CASCADE,
        related_name="resident_feedback",
        verbose_name=_("follow-up"),
    )
    score = models.PositiveSmallIntegerField(
        _("solved (1 to 5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-answered_at", "-id"]
        verbose_name = _("resident feedback")
        verbose_name_plural = _("resident feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="resident_feedback_score_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.score}/5 on follow-up {self.followup_id}"
