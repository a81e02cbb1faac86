"""Retention (Law 59/2019: kept no longer than needed): reporters' contacts of items that ended
(closed, cancelled, duplicate) more than KOBAN_PERSONAL_DATA_RETENTION_DAYS ago are erased.
The operational record stays: category, place, times, status history, timeline.

Each erasure writes one access row (what, when, under which rule), never the erased values;
the change history never held them (incidents.models.history)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pghistory
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import PersonalDataAccess, ReporterContact
from ..selectors import incidents_ended_before
from .people import access_record

logger = logging.getLogger("koban.audit")

RULE = "KOBAN_PERSONAL_DATA_RETENTION_DAYS"


@dataclass
class ErasureReport:
    erased: list[int] = field(default_factory=list)  # incident ids whose contact was erased


def personal_data_erase_expired(*, now: datetime | None = None) -> ErasureReport:
    """Erase the contacts past retention, each in its own short transaction."""
    now = now or timezone.now()
    days = settings.KOBAN_PERSONAL_DATA_RETENTION_DAYS
    cutoff = now - timedelta(days=days)
    report = ErasureReport()
    ended = incidents_ended_before(cutoff)
    contact_ids = list(
        ReporterContact.objects.filter(incident__in=ended).values_list("pk", flat=True)
    )
    with pghistory.context(retention=RULE):
        for contact_id in contact_ids:
            incident_id = _erase_contact(contact_id, days=days, cutoff=cutoff)
            if incident_id is not None:
                report.erased.append(incident_id)
    if report.erased:
        logger.info("retention erased %s reporter contacts (rule %s)", len(report.erased), RULE)
    return report


@transaction.atomic
def _erase_contact(contact_id: int, *, days: int, cutoff: datetime) -> int | None:
    contact = (
        ReporterContact.objects.select_for_update().select_related("incident").filter(pk=contact_id)
    ).first()
    if contact is None:
        return None
    fields = [
        name for name in ("name", "phone", "email", "preferred_contact") if getattr(contact, name)
    ]
    incident = contact.incident
    contact.delete()
    access_record(
        user=None,
        action=PersonalDataAccess.Action.ERASE,
        incident=incident,
        channel="retention",
        purpose=f"Retention period over ({days} days after the item ended)",
        detail={
            "rule": RULE,
            "days": days,
            "what": "reporter contact",
            "fields": fields,
            "ended_before": cutoff.isoformat(),
        },
    )
    return incident.pk
