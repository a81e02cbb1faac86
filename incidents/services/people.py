"""Personal data of residents: revealing a reporter's contact (need-to-know, with a purpose) and
the access log every collection, consultation, disclosure and erasure writes (Law 59/2019)."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from ..errors import InvalidInput, NotAllowed, NothingToReveal
from ..models import AccessPurpose, Incident, PersonalDataAccess, ReporterContact
from ..selectors import can_reveal_contact

audit = logging.getLogger("koban.audit")


def access_record(
    *,
    user: Any,
    action: str,
    incident: Incident | None = None,
    channel: str = "",
    purpose_code: str = "",
    purpose: str = "",
    detail: dict[str, Any] | None = None,
) -> PersonalDataAccess:
    """Append one row to the access log (never the personal values themselves)."""
    person = user if user is not None and getattr(user, "is_authenticated", False) else None
    return PersonalDataAccess.objects.create(
        user=person,
        username=person.get_username() if person is not None else "",
        action=action,
        incident=incident,
        channel=channel[:30],
        purpose_code=purpose_code[:50],
        purpose=purpose[:500],
        detail=detail or {},
    )


def _purpose(code: AccessPurpose | str, text: str) -> tuple[AccessPurpose, str]:
    purpose = (
        code
        if isinstance(code, AccessPurpose)
        else AccessPurpose.objects.filter(code=code, active=True).first()
    )
    if purpose is None:
        raise InvalidInput({"purpose": [f"Unknown purpose '{code}'."]})
    text = (text or "").strip()
    if purpose.needs_text and not text:
        raise InvalidInput({"purpose_text": ["Say why you need this contact."]})
    return purpose, text


@transaction.atomic
def reporter_contact_reveal(
    *,
    user: Any,
    incident: Incident,
    purpose: AccessPurpose | str,
    purpose_text: str = "",
    channel: str = "api",
) -> ReporterContact:
    """The contact of the resident who reported the incident, for someone with need-to-know
    (selectors.can_reveal_contact), given a purpose; writes exactly one access row.

    The caller has checked that the user sees the incident."""
    chosen, text = _purpose(purpose, purpose_text)
    if not can_reveal_contact(user, incident):
        raise NotAllowed("You may not reveal this contact: it needs a supervisor's assignment.")
    contact = ReporterContact.objects.filter(incident=incident).first()
    if contact is None or not (contact.name or contact.phone or contact.email):
        raise NothingToReveal("This incident has no reporter's contact.")
    access_record(
        user=user,
        action=PersonalDataAccess.Action.VIEW,
        incident=incident,
        channel=channel,
        purpose_code=chosen.code,
        purpose=f"{chosen.name_en}: {text}" if text else chosen.name_en,
    )
    audit.info(
        "reporter contact of incident %s revealed to user %s via %s for %s",
        incident.reference,
        user.pk,
        channel,
        chosen.code,
    )
    return contact


def audit_log_searched(
    *, user: Any, log: str, filters: dict[str, Any], results: int, exported: bool
) -> PersonalDataAccess:
    """Searching or exporting the logs is itself logged: who looked, at what, how much."""
    return access_record(
        user=user,
        action=PersonalDataAccess.Action.EXPORT if exported else PersonalDataAccess.Action.SEARCH,
        channel="audit",
        purpose=f"{'CSV export' if exported else 'Search'} of the {log} log",
        detail={"log": log, "filters": filters, "results": results, "csv": exported},
    )
