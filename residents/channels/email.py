"""E-mail through Django's mail backend (SMTP in production, locmem in tests)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from . import DeliveryResult

logger = logging.getLogger(__name__)


class EmailChannel:
    code = "email"
    label = "E-mail"

    def can_reach(self, contact: Any) -> bool:
        return bool(contact is not None and (contact.email or "").strip())

    def send(self, message: Any, *, recipient: Any, text: str) -> DeliveryResult:
        """Hands the e-mail to the backend; any error it raises becomes a failed delivery."""
        address = recipient.email.strip()
        email = EmailMessage(
            subject=message.subject,
            body=text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Content-Language": message.language, "Auto-Submitted": "auto-generated"},
        )
        try:
            sent = email.send(fail_silently=False)
        except Exception as exc:  # the backend's errors are many (SMTP, OS, TLS): all are a reason
            # The reason is shown to staff and kept: never with the resident's address in it.
            reason = f"{type(exc).__name__}: {exc}".replace(address, "<resident's address>")
            logger.warning("e-mail of resident message %s failed: %s", message.pk, reason)
            return DeliveryResult(ok=False, reason=reason[:500])
        if not sent:
            return DeliveryResult(ok=False, reason="The mail backend accepted no message.")
        return DeliveryResult(ok=True)
