"""Personal data: every consultation of a reporter's contact is logged (Law 59/2019)."""

from __future__ import annotations

import logging
from typing import Any

from ..models import Incident, PersonalDataAccess, ReporterContact
from ..selectors import can_see_personal_data

audit = logging.getLogger("koban.audit")


def reporter_contact_for(
    *, user: Any, incident: Incident, channel: str, purpose: str = ""
) -> ReporterContact | None:
    """The contact if this user may see it (and the access is logged), else None."""
    if not can_see_personal_data(user, incident):
        return None
    contact = ReporterContact.objects.filter(incident=incident).first()
    if contact is None:
        return None
    PersonalDataAccess.objects.create(
        user=user,
        action=PersonalDataAccess.Action.VIEW,
        incident=incident,
        channel=channel,
        purpose=purpose[:200],
    )
    audit.info(
        "personal data of incident %s consulted by user %s via %s",
        incident.reference,
        user.pk,
        channel,
    )
    return contact
