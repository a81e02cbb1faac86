"""Repeat places: incidents of one category that keep coming back to the same place.

A periodic job proposes them from places and times only (never people); a supervisor decides
each proposal (accept, merge into a concern, dismiss with a reason), and every step is kept
in an append-only decision log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pgtrigger
from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RepeatPlaceRule(models.Model):
    """When incidents of a category count as a repeat place: data, so each force tunes it."""

    category = models.OneToOneField(
        "incidents.Category", on_delete=models.CASCADE, related_name="repeat_place_rule"
    )
    min_incidents = models.PositiveSmallIntegerField(_("at least this many incidents"), default=3)
    distance_m = models.PositiveIntegerField(_("within this distance (metres)"), default=150)
    window_days = models.PositiveSmallIntegerField(_("within this many days"), default=30)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__sort_order", "category__code"]
        verbose_name = _("repeat-place rule")
        verbose_name_plural = _("repeat-place rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_incidents__gte=2) & Q(distance_m__gte=1) & Q(window_days__gte=1),
                name="repeat_place_rule_sane",
            )
        ]

    def __str__(self) -> str:
        rule = f"{self.min_incidents}+ / {self.distance_m} m / {self.window_days} d"
        return f"{self.category.code}: {rule}"

    def parameters(self) -> dict[str, int]:
        """The rule as applied, copied onto each proposal so later edits do not rewrite it."""
        return {
            "min_incidents": self.min_incidents,
            "distance_m": self.distance_m,
            "window_days": self.window_days,
        }


def members_signature(incident_ids: Iterable[int]) -> str:
    """A stable fingerprint of a set of incidents (order and duplicates do not matter)."""
    text = ",".join(str(i) for i in sorted(set(incident_ids)))
    return hashlib.sha256(text.encode()).hexdigest()


class RepeatPlaceProposal(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Waiting for a decision")
        ACCEPTED = "accepted", _("Accepted")
        MERGED = "merged", _("Merged into a concern")
        DISMISSED = "dismissed", _("Dismissed")
        # The job no longer finds it (its incidents joined a concern or left the window).
        EXPIRED = "expired", _("No longer found")

    category = models.ForeignKey(
        "incidents.Category", on_delete=models.PROTECT, related_name="repeat_place_proposals"
    )
    rule = models.ForeignKey(
        RepeatPlaceRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rule_parameters = models.JSONField(_("rule as applied"), default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PROPOSED
    )
    incidents = models.ManyToManyField(
        "incidents.Incident", related_name="repeat_place_proposals", blank=True
    )
    signature = models.CharField(max_length=64, db_index=True)
    incident_count = models.PositiveIntegerField(default=0)
    # The place: the members' hull with a margin, its centre and the radius that holds it.
    place = models.PolygonField(_("place"), srid=4326)
    centre = models.PointField(_("centre"), srid=4326)
    radius_m = models.PositiveIntegerField(_("radius (metres)"), default=0)
    area = models.ForeignKey(
        "incidents.Area",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeat_place_proposals",
    )
    first_reported_at = models.DateTimeField()
    last_reported_at = models.DateTimeField()
    # Time pattern: counts per hour of day (24) and per weekday (7, Monday first), local time.
    hours = models.JSONField(default=list)
    weekdays = models.JSONField(default=list)
    reason = models.TextField(_("why it was proposed"))
    concern = models.ForeignKey(
        "incidents.NeighbourhoodConcern",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="repeat_place_proposals",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-last_reported_at", "-id"]
        verbose_name = _("repeat-place proposal")
        verbose_name_plural = _("repeat-place proposals")
        indexes = [models.Index(fields=["status", "-last_reported_at"])]

    def __str__(self) -> str:
        return f"{self.category_id}:{self.signature[:8]} ({self.status})"

    @property
    def is_waiting(self) -> bool:
        return self.status == self.Status.PROPOSED


class RepeatPlaceDecision(models.Model):
    """One line of a proposal's history: proposed, updated, accepted, merged, dismissed,
    expired. Append-only (a trigger refuses UPDATE and DELETE)."""

    class Action(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        UPDATED = "updated", _("Updated by the job")
        ACCEPTED = "accepted", _("Accepted")
        MERGED = "merged", _("Merged into a concern")
        DISMISSED = "dismissed", _("Dismissed")
        EXPIRED = "expired", _("No longer found")

    proposal = models.ForeignKey(
        RepeatPlaceProposal,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="decisions",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=120, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("repeat-place decision")
        verbose_name_plural = _("repeat-place decisions")
        triggers = [
            pgtrigger.Protect(
                name="repeat_place_decision_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def actor_name(self) -> str:
        if self.actor_id and self.actor is not None:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.actor_label
