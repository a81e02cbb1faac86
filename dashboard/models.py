"""API tokens: knox's hashed tokens, with a name people recognise and the owner's password stamp."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class APIToken(AbstractAuthToken):
    """A machine client's token. Only its SHA-512 digest and first characters are stored.

    `session_hash` is the owner's `get_session_auth_hash()` when the token was made: the same
    HMAC of the password hash that ends sessions, so a password change ends the token too.
    """

    name = models.CharField(_("name"), max_length=100)
    session_hash = models.CharField(max_length=128, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ("-created",)
        indexes = [models.Index(fields=("user", "-created"), name="apitoken_user_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.token_key}…)"
