"""Patrols (units on duty) and their position history."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from .areas import Area
from .choices import PatrolKind, PatrolStatus


class Patrol(models.Model):
    call_sign = models.CharField(_("call sign"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PatrolKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=PatrolStatus.choices, default=PatrolStatus.OFF_DUTY
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="patrols", verbose_name=_("members")
    )
    area = models.ForeignKey(
        Area,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patrols",
        verbose_name=_("area of duty"),
    )
    shift_starts_at = models.DateTimeField(_("shift starts"), null=True, blank=True)
    shift_ends_at = models.DateTimeField(_("shift ends"), null=True, blank=True)
    # The id the vehicle tracker (AVL) uses for this unit.
    vehicle_id = models.CharField(
        _("vehicle id"), max_length=64, null=True, blank=True, unique=True
    )
    last_position = models.PointField(_("latest position"), srid=4326, null=True, blank=True)
    last_position_at = models.DateTimeField(_("latest position at"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["call_sign"]
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")

    def __str__(self) -> str:
        return self.call_sign


class PatrolPosition(models.Model):
    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="positions")
    location = models.PointField(srid=4326)
    recorded_at = models.DateTimeField()
    speed_kmh = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=64, default="koban")

    class Meta:
        ordering = ["-recorded_at"]
        indexes = [models.Index(fields=["patrol", "-recorded_at"])]
        constraints = [
            models.UniqueConstraint(fields=["patrol", "recorded_at"], name="position_patrol_time")
        ]
        verbose_name = _("patrol position")
        verbose_name_plural = _("patrol positions")

    def __str__(self) -> str:
        return f"{self.patrol_id}@{self.recorded_at:%Y-%m-%d %H:%M:%S}"
