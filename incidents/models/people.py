"""Officers' areas of work, and the access log that the Law Enforcement Directive requires."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .areas import Area


class OfficerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer"
    )
    badge_number = models.CharField(_("badge number"), max_length=30, blank=True)
    areas = models.ManyToManyField(
        Area, blank=True, related_name="officers", verbose_name=_("areas")
    )
    preferred_language = models.CharField(max_length=10, blank=True)

    class Meta:
        verbose_name = _("officer profile")
        verbose_name_plural = _("officer profiles")

    def __str__(self) -> str:
        return str(self.user)


class PersonalDataAccess(models.Model):
    """One row per consultation or disclosure of a resident's personal data (Law 59/2019)."""

    class Action(models.TextChoices):
        VIEW = "view", _("Consulted")
        CREATE = "create", _("Collected")
        CHANGE = "change", _("Altered")
        EXPORT = "export", _("Disclosed")
        ERASE = "erase", _("Erased")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=10, choices=Action.choices)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    purpose = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=30, blank=True)  # api, page, admin, export
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.incident_id} {self.at:%Y-%m-%d %H:%M}"
