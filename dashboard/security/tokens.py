"""API tokens: made and revoked here, checked by `APITokenAuthentication`.

A token lives until its expiry, its owner or an administrator deletes it, its owner's password
changes, or its owner is deactivated. The last two need no signal: each token carries the owner's
session hash from when it was made, and a token whose owner no longer matches is deleted when
next presented, as Django ends sessions.
"""

from __future__ import annotations

import binascii
from datetime import datetime
from hmac import compare_digest
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from dashboard.models import APIToken

INVALID = _("Invalid token.")


def _session_hashes(user: Any) -> list[str]:
    """The owner's session hash under the current key and each fallback key (a SECRET_KEY
    rotation keeps tokens, as it keeps sessions)."""
    hashes = [user.get_session_auth_hash()]
    for secret in getattr(settings, "SECRET_KEY_FALLBACKS", []):
        hashes.append(user._get_session_auth_hash(secret=secret))
    return hashes


def token_still_valid(token: APIToken, now: datetime | None = None) -> bool:
    user = token.user
    if token.expiry is not None and token.expiry <= (now or timezone.now()):
        return False
    if not user.is_active:
        return False
    return any(compare_digest(token.session_hash, h) for h in _session_hashes(user))


class APITokenAuthentication(TokenAuthentication):
    """`Authorization: Token <token>` (knox's digest lookup), refusing and deleting a token that
    expired or whose owner changed password or was deactivated."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, APIToken]:
        try:
            text = token.decode("utf-8")
            digest = hash_token(text)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(INVALID) from None
        candidates = APIToken.objects.filter(
            token_key=text[: CONSTANTS.TOKEN_KEY_LENGTH]
        ).select_related("user")
        for candidate in candidates:
            if not compare_digest(digest, candidate.digest):
                continue
            if not token_still_valid(candidate):
                api_token_revoke(token=candidate)
                break
            return candidate.user, candidate
        raise exceptions.AuthenticationFailed(INVALID)


@transaction.atomic
def api_token_create(*, user: Any, name: str) -> tuple[APIToken, str]:
    """A new token for `user`; returns the row and the token text (shown once, never stored).
    Drops the user's expired and no longer valid tokens on the way."""
    for stale in APIToken.objects.filter(user=user).select_related("user"):
        if not token_still_valid(stale):
            stale.delete()
    return APIToken.objects.create(
        user=user,
        name=name,
        session_hash=user.get_session_auth_hash(),
        expiry=knox_settings.TOKEN_TTL,
    )


@transaction.atomic
def api_token_revoke(*, token: APIToken) -> None:
    token.delete()


def api_tokens_of(user: Any) -> QuerySet[APIToken]:
    """The user's tokens that still work, newest first."""
    return (
        APIToken.objects.filter(user=user, session_hash__in=_session_hashes(user))
        .exclude(expiry__lte=timezone.now())
        .order_by("-created")
    )


class APITokenScheme(OpenApiAuthenticationExtension):
    """The schema's name for `Authorization: Token <token>`."""

    target_class = APITokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <token>`, from POST /api/v1/auth/token/.",
        }
