"""Neighbourhood concerns: recurring local problems worked on for weeks with residents."""

from __future__ import annotations

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
