"""Areas (municipality, parishes, patrol sectors) and police stations: reference geography."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    class Kind(models.TextChoices):
        MUNICIPALITY = "municipality", _("Municipality")
        PARISH = "parish", _("Parish")
        SECTOR = "sector", _("Patrol sector")

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PARISH)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    geom = models.MultiPolygonField(_("boundary"), srid=4326)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    # An administrator opens a parish's "you said, we did" page to everyone; closed, only
    # logged-in staff see it.
    public_page = models.BooleanField(_("public page open to everyone"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")

    def __str__(self) -> str:
        return self.name


class PoliceStation(models.Model):
    """A police point (esquadra, municipal police post, division) shown on the map."""

    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=120, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=80, blank=True)
    location = models.PointField(_("location"), srid=4326)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.SET_NULL, related_name="stations"
    )
    source = models.CharField(max_length=50, default="koban")
    external_id = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("police station")
        verbose_name_plural = _("police stations")
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="station_source_uniq")
        ]

    def __str__(self) -> str:
        return self.name
