"""Incidents, their categories (data, so a force can add its own) and reporters' contacts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .areas import Area
from .choices import INCIDENT_OPEN_STATUSES, INCIDENT_TRANSITIONS, IncidentStatus, Priority


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_pt = models.CharField(_("name (Portuguese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_en

    def label(self, language: str | None) -> str:
        return self.name_pt if (language or "").startswith("pt") else self.name_en


class Incident(models.Model):
    reference = models.CharField(_("reference"), max_length=32, unique=True, editable=False)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="incidents")
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.NEW
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # What residents and Open311 clients are told; everything else on the item stays internal.
    status_notes = models.TextField(_("public status notes"), blank=True)
    location = models.PointField(_("location"), srid=4326, null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    reported_at = models.DateTimeField(_("reported at"))
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    concern = models.ForeignKey(
        "incidents.NeighbourhoodConcern",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    assigned_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_incidents",
    )
    assigned_patrol = models.ForeignKey(
        "incidents.Patrol",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    source = models.CharField(_("source"), max_length=64, default="koban")
    external_id = models.CharField(_("external id"), max_length=128, null=True, blank=True)
    # Hash of the adapter's mapped record, so unchanged upstream records are skipped cheaply.
    content_hash = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        # `q=` has trigram indexes on UPPER(reference/title/address) too (migration 0012).
        ordering = ["-reported_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="incident_source_external_id_uniq",
            ),
        ]
        indexes = [
            # The default order and cursor of every list, the briefing and the charts.
            models.Index(fields=["-reported_at", "-id"], name="incident_reported_desc"),
            models.Index(fields=["status", "-reported_at"]),
            models.Index(fields=["area", "-reported_at"]),
            models.Index(fields=["priority", "-reported_at"], name="incident_priority_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def allowed_transitions(self) -> tuple[str, ...]:
        return INCIDENT_TRANSITIONS.get(self.status, ())

    def can_transition_to(self, status: str) -> bool:
        return status in self.allowed_transitions()

    @property
    def is_open(self) -> bool:
        return self.status in INCIDENT_OPEN_STATUSES


def default_resident_language() -> str:
    """A new contact's language when none is given (settings.KOBAN_RESIDENT_LANGUAGE_DEFAULT)."""
    return settings.KOBAN_RESIDENT_LANGUAGE_DEFAULT


class ReporterContact(models.Model):
    """A resident's contact details: personal data, kept apart and shown on a need-to-know basis."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="reporter")
    name = models.CharField(_("name"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    preferred_contact = models.CharField(_("preferred contact"), max_length=20, blank=True)
    consent_to_contact = models.BooleanField(_("agrees to be contacted"), default=True)
    # What the resident is written to in (residents/): a code of KOBAN_RESIDENT_LANGUAGES, checked
    # by the services, not by `choices`, so a force adding a language needs no migration.
    language = models.CharField(_("language"), max_length=10, default=default_resident_language)

    class Meta:
        verbose_name = _("reporter contact")
        verbose_name_plural = _("reporter contacts")

    def __str__(self) -> str:
        return f"reporter of {self.incident_id}"
