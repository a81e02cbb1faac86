"""Officers' areas of work, and the access log that the Law Enforcement Directive requires."""

from __future__ import annotations

import pgtrigger
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


class AccessPurpose(models.Model):
    """Why someone may reveal a resident's contact: a short list kept as data, so a force can
    add its own; `needs_text` purposes ("other") require a free-text reason."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_pt = models.CharField(_("name (Portuguese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    needs_text = models.BooleanField(_("needs a written reason"), default=False)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("access purpose")
        verbose_name_plural = _("access purposes")

    def __str__(self) -> str:
        return self.name_en

    def label(self, language: str | None) -> str:
        return self.name_pt if (language or "").startswith("pt") else self.name_en


class PersonalDataAccess(models.Model):
    """One row per collection, consultation, disclosure or erasure of a resident's personal data
    (Law 59/2019): who, when, what, why. Append-only: a database trigger refuses UPDATE and
    DELETE, and the references keep their ids when a user or incident is deleted."""

    class Action(models.TextChoices):
        VIEW = "view", _("Consulted")
        CREATE = "create", _("Collected")
        CHANGE = "change", _("Altered")
        EXPORT = "export", _("Disclosed")
        ERASE = "erase", _("Erased")
        SEARCH = "search", _("Log searched")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # The username when the row was written, readable after the account is gone.
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    purpose_code = models.CharField(max_length=50, blank=True)
    purpose = models.CharField(max_length=500, blank=True)
    channel = models.CharField(max_length=30, blank=True)  # api, page, admin, export, retention
    # What was searched or exported, or the rule of an erasure; never the personal values.
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        indexes = [models.Index(fields=["incident", "-at"]), models.Index(fields=["user", "-at"])]
        triggers = [
            pgtrigger.Protect(
                name="access_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.incident_id} {self.at:%Y-%m-%d %H:%M}"
