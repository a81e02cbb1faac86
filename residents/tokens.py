"""The feedback link's token: the message id and its random nonce, signed with SECRET_KEY.

Unguessable twice over (a 128-bit nonce, and an HMAC nobody can make without the key); no login
and no expiry, since a resident may answer days later. A token that does not verify, or whose
nonce is not the message's, is simply not found."""

from __future__ import annotations

import hmac

from django.core import signing

from .models import ResidentMessage

SALT = "residents.feedback"


def feedback_token(message: ResidentMessage) -> str:
    return signing.Signer(salt=SALT).sign(f"{message.pk}.{message.feedback_nonce}")


def message_for_token(token: str) -> ResidentMessage | None:
    """The message the token was made for, or None (bad signature, unknown id or nonce)."""
    try:
        value = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    pk, _, nonce = value.partition(".")
    if not pk.isdigit():
        return None
    message = ResidentMessage.objects.filter(pk=int(pk)).select_related("followup").first()
    if message is None or not hmac.compare_digest(message.feedback_nonce, nonce):
        return None
    return message
