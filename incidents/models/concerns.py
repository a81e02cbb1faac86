"""Neighbourhood concerns: recurring local problems worked on for weeks with residents."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from .areas import Area
from .choices import CONCERN_TRANSITIONS, ConcernStatus, Priority


class NeighbourhoodConcern(models.Model):
    class RaisedBy(models.TextChoices):
        RESIDENTS = "residents", _("Residents")
        OFFICER = "officer", _("Officer")
        PARTNER = "partner", _("Partner")
        SENSOR = "sensor", _("Sensor")
        REPEAT_PLACE = "repeat_place", _("Repeat-place review")

    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(
        "incidents.Category", on_delete=models.PROTECT, related_name="concerns"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ConcernStatus.choices, default=ConcernStatus.OPEN
    )
    priority = models.CharField(
        _("agreed priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    raised_by = models.CharField(
        _("raised by"), max_length=20, choices=RaisedBy.choices, default=RaisedBy.RESIDENTS
    )
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    # The place the concern is about (e.g. an accepted repeat place); without it, the assessment
    # and the repeat-place job use a circle of KOBAN_CONCERN_PLACE_RADIUS_M around `location`.
    place = models.PolygonField(_("place"), srid=4326, null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="concerns"
    )
    partners = models.CharField(_("partners"), max_length=255, blank=True)
    # "You said, we did": a supervisor publishes a concern on its parish's public page, with a
    # summary written for residents (the description may hold details that are not public).
    published = models.BooleanField(_("published on the parish page"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    public_summary = models.TextField(_("public summary"), blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    # Assessment: incidents before and after this moment are compared (set on "responding").
    response_started_at = models.DateTimeField(_("response started"), null=True, blank=True)
    assessment_note = models.TextField(_("assessment"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_concerns",
    )
    source = models.CharField(_("source"), max_length=64, default="koban")
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("neighbourhood concern")
        verbose_name_plural = _("neighbourhood concerns")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=models.Q(external_id__isnull=False),
                name="concern_source_external_id_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def allowed_transitions(self) -> tuple[str, ...]:
        return CONCERN_TRANSITIONS.get(self.status, ())

    def can_transition_to(self, status: str) -> bool:
        return status in self.allowed_transitions()


class ConcernPlanEntry(models.Model):
    """ "You said, we did": a promise agreed with residents (what, who, by when) or an action
    taken (what, who, when), dated; an action may fulfil a promise."""

    class Kind(models.TextChoices):
        COMMITMENT = "commitment", _("Commitment")
        ACTION = "action", _("Action taken")

    concern = models.ForeignKey(
        NeighbourhoodConcern, on_delete=models.CASCADE, related_name="plan_entries"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("what"))
    # Shown on the public page: an organisation or a team ("Junta de Freguesia", "PSP"), not a
    # person, unless that person agreed.
    who = models.CharField(_("who"), max_length=200, blank=True)
    due_on = models.DateField(_("by when"), null=True, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)
    fulfils = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fulfilled_by",
        verbose_name=_("fulfils"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("concern plan entry")
        verbose_name_plural = _("concern plan entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="action", done_on__isnull=False)
                | models.Q(kind="commitment"),
                name="concern_action_has_date",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:40]}"

    def is_late(self, today: date) -> bool:
        return (
            self.kind == self.Kind.COMMITMENT
            and self.done_on is None
            and self.due_on is not None
            and self.due_on < today
        )
