"""Subject access (Law 59/2019, art. 17): everything held about one resident, found by phone,
e-mail or name: their contacts, the incidents they reported, those incidents' timelines, and
every access to their data. The export itself is logged, once per incident it discloses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from ..models import PersonalDataAccess, TimelineEntry
from ..selectors import contact_matches
from .people import access_record


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def subject_access_export(
    *, requested_by: Any, phone: str = "", email: str = "", name: str = "", reason: str = ""
) -> dict[str, Any]:
    """The resident's file as a dict (JSON-ready); writes one EXPORT access row per incident
    disclosed (or one row saying nothing was found)."""
    contacts = list(contact_matches(phone=phone, email=email, name=name))
    incidents = [c.incident for c in contacts]
    ids = [i.pk for i in incidents]
    timeline = TimelineEntry.objects.filter(incident_id__in=ids).select_related("actor")
    accesses = PersonalDataAccess.objects.filter(incident_id__in=ids).order_by("at", "id")
    references = {i.pk: i.reference for i in incidents}
    answer: dict[str, Any] = {
        "generated_at": timezone.now().isoformat(),
        "requested_by": requested_by.get_username(),
        "search": {k: v for k, v in (("phone", phone), ("email", email), ("name", name)) if v},
        "contacts": [
            {
                "incident": c.incident.reference,
                "name": c.name,
                "phone": c.phone,
                "email": c.email,
                "preferred_contact": c.preferred_contact,
                "consent_to_contact": c.consent_to_contact,
            }
            for c in contacts
        ],
        "incidents": [
            {
                "reference": i.reference,
                "category": i.category.code,
                "status": i.status,
                "title": i.title,
                "description": i.description,
                "address": i.address,
                "area": i.area.name if i.area_id else None,
                "location": list(i.location.coords) if i.location else None,
                "reported_at": _when(i.reported_at),
                "closed_at": _when(i.closed_at),
                "source": i.source,
                "external_id": i.external_id,
            }
            for i in incidents
        ],
        "timeline": [
            {
                "incident": references.get(e.incident_id),
                "at": _when(e.created_at),
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "text": e.text,
                "by": e.actor_name,
            }
            for e in timeline
        ],
        "accesses": [
            {
                "incident": references.get(a.incident_id),
                "at": _when(a.at),
                "by": a.username or ("system" if a.user_id is None else str(a.user_id)),
                "action": a.action,
                "channel": a.channel,
                "purpose": a.purpose,
            }
            for a in accesses
        ],
    }
    purpose = "Subject access request" + (f": {reason}" if reason else "")
    for incident in incidents or [None]:
        access_record(
            user=requested_by,
            action=PersonalDataAccess.Action.EXPORT,
            incident=incident,
            channel="subject_access",
            purpose=purpose,
            detail={"matched_incidents": len(incidents)},
        )
    return answer
