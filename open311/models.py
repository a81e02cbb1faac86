"""Koban as an Open311 GeoReport v2 server: the client applications allowed to post, how each
category is offered as a service (with its attributes), and what a posted request carried."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from incidents.models import Category, Incident

KEY_PREFIX = "k311_"


def hash_key(key: str) -> str:
    """Keys are high-entropy random strings: a plain SHA-256 is enough to keep them unreadable."""
    return hashlib.sha256(key.encode()).hexdigest()


class ClientApplication(models.Model):
    """A citizen app or municipal system that may post requests; its key is shown once."""

    name = models.CharField(
        _("name"),
        max_length=50,
        unique=True,
        validators=[
            RegexValidator(
                r"^[a-z0-9][a-z0-9_.-]*$",
                _("Lower-case letters, digits, '.', '_' and '-' only."),
            )
        ],
        help_text=_("Incidents it posts get the source open311:<name>."),
    )
    contact = models.CharField(_("who runs it"), max_length=200, blank=True)
    # The key's first characters, to tell keys apart in lists; never enough to use it.
    key_hint = models.CharField(_("key starts with"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("Open311 client application")
        verbose_name_plural = _("Open311 client applications")

    def __str__(self) -> str:
        return self.name

    @property
    def source(self) -> str:
        return f"open311:{self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ServiceSettings(models.Model):
    """How one category is offered as an Open311 service; a category without a row is offered
    with the defaults (published, exact street-level location)."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, related_name="open311", verbose_name=_("category")
    )
    published = models.BooleanField(
        _("offered on the Open311 interface"),
        default=True,
        help_text=_("Unpublished: not listed, not accepted, and its incidents are not served."),
    )
    generalise_location = models.BooleanField(
        _("sensitive: generalise the public location"),
        default=False,
        help_text=_("Served at the parish (or a coarse grid), never at the street."),
    )
    description = models.CharField(_("public description"), max_length=500, blank=True)
    keywords = models.CharField(_("keywords"), max_length=200, blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True)
    service_notice = models.CharField(
        _("service notice"),
        max_length=500,
        blank=True,
        help_text=_("What the resident can expect after posting, returned with each request."),
    )

    class Meta:
        verbose_name = _("Open311 service settings")
        verbose_name_plural = _("Open311 service settings")

    def __str__(self) -> str:
        return str(self.category)


class ServiceAttribute(models.Model):
    """One extra question of a service definition (GeoReport v2 `attribute`)."""

    class Datatype(models.TextChoices):
        STRING = "string", _("Text without line breaks")
        NUMBER = "number", _("Number")
        DATETIME = "datetime", _("Date and time")
        TEXT = "text", _("Text")
        SINGLE = "singlevaluelist", _("One value from a list")
        MULTI = "multivaluelist", _("Several values from a list")

    service = models.ForeignKey(
        ServiceSettings, on_delete=models.CASCADE, related_name="attributes"
    )
    code = models.CharField(
        _("code"),
        max_length=50,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("Letters, digits, '_' and '-' only."))],
    )
    variable = models.BooleanField(
        _("asks for input"), default=True, help_text=_("Unticked: information shown only.")
    )
    datatype = models.CharField(_("datatype"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    datatype_description = models.CharField(_("datatype description"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=1)
    description = models.CharField(_("question"), max_length=500)
    # [{"key": "...", "name": "..."}] for the list datatypes.
    values = models.JSONField(_("values"), default=list, blank=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        constraints = [
            models.UniqueConstraint(fields=["service", "code"], name="open311_attribute_code_uniq"),
            models.CheckConstraint(condition=Q(order__gte=1), name="open311_attribute_order_min"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_list(self) -> bool:
        return self.datatype in (self.Datatype.SINGLE, self.Datatype.MULTI)

    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values if isinstance(v, dict)]

    def clean(self) -> None:
        if self.is_list:
            keys = self.value_keys()
            if not keys or len(keys) != len(self.values) or len(set(keys)) != len(keys):
                raise ValidationError(
                    {"values": _('A list needs values like [{"key": "1", "name": "Yes"}].')}
                )
            if not all(isinstance(v.get("name"), str) and v["name"] for v in self.values):
                raise ValidationError({"values": _("Every value needs a name.")})
        elif self.values:
            raise ValidationError({"values": _("Only list datatypes have values.")})


class ServiceRequest(models.Model):
    """What a client posted beyond the incident itself; the reporter's contact is kept with the
    incident (ReporterContact), like every other resident's."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, related_name="open311_request"
    )
    client = models.ForeignKey(ClientApplication, on_delete=models.PROTECT, related_name="requests")
    # {code: value or [values]}, as validated against the service definition.
    attributes = models.JSONField(default=dict, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 posted request")
        verbose_name_plural = _("Open311 posted requests")

    def __str__(self) -> str:
        return f"{self.client} → {self.incident_id}"
