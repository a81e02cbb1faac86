"""Reads for the people who audit (supervisors, administrators, auditors): the access log and
the change history, searched by person, item, resident, date and purpose.

A resident is searched by their contact (phone, e-mail or name): the search finds the items
they reported, so the log entries about their data; the value searched is never logged."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from pghistory.models import Events

from .models import Incident, NeighbourhoodConcern, PersonalDataAccess
from .selectors import contact_matches


@dataclass
class AuditFilters:
    person: str = ""
    item: str = ""
    resident: str = ""
    date_from: date | None = None
    date_to: date | None = None
    purpose: str = ""
    action: str = ""
    # Filled by the search: what the resident matched (logged instead of the value searched).
    resident_incidents: list[int] = field(default_factory=list)

    def for_log(self) -> dict[str, Any]:
        """The search as it may be written to the access log: no resident's contact."""
        out: dict[str, Any] = {
            k: v
            for k, v in (
                ("person", self.person),
                ("item", self.item),
                ("purpose", self.purpose),
                ("action", self.action),
                ("date_from", self.date_from.isoformat() if self.date_from else ""),
                ("date_to", self.date_to.isoformat() if self.date_to else ""),
            )
            if v
        }
        if self.resident:
            out["resident_incidents"] = self.resident_incidents
        return out


def _start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _user_ids(person: str) -> list[int]:
    users = get_user_model().objects.filter(
        Q(username__iexact=person) | Q(last_name__iexact=person) | Q(first_name__iexact=person)
    )
    return list(users.values_list("pk", flat=True))


def _resident_incident_ids(resident: str) -> list[int]:
    value = resident.strip()
    if "@" in value:
        matches = contact_matches(email=value)
    elif len(re.sub(r"\D", "", value)) >= 6:
        matches = contact_matches(phone=value)
    else:
        matches = contact_matches(name=value)
    return sorted(matches.values_list("incident_id", flat=True))


def _item(reference: str) -> tuple[str, int | None]:
    """('incidents.Incident', id) for an incident reference or id, or a concern reference."""
    reference = reference.strip()
    concern = NeighbourhoodConcern.objects.filter(reference__iexact=reference).first()
    if concern is not None:
        return "incidents.NeighbourhoodConcern", concern.pk
    incident = Incident.objects.filter(
        Q(reference__iexact=reference) | Q(pk=int(reference) if reference.isdigit() else None)
    ).first()
    return "incidents.Incident", incident.pk if incident else None


def access_log_search(filters: AuditFilters) -> QuerySet[PersonalDataAccess]:
    qs = PersonalDataAccess.objects.all()
    if filters.person:
        qs = qs.filter(
            Q(username__iexact=filters.person) | Q(user_id__in=_user_ids(filters.person))
        )
    if filters.item:
        model, pk = _item(filters.item)
        qs = qs.filter(incident_id=pk) if model == "incidents.Incident" else qs.none()
    if filters.resident:
        filters.resident_incidents = _resident_incident_ids(filters.resident)
        qs = qs.filter(incident_id__in=filters.resident_incidents)
    if filters.date_from:
        qs = qs.filter(at__gte=_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(at__lt=_start(filters.date_to + timedelta(days=1)))
    if filters.purpose:
        qs = qs.filter(purpose_code=filters.purpose)
    if filters.action:
        qs = qs.filter(action=filters.action)
    return qs.order_by("-at", "-id")


def history_search(filters: AuditFilters) -> QuerySet[Events]:
    """Every tracked table's events, newest first (pghistory's aggregate of the event tables)."""
    qs = Events.objects.all()
    if filters.person:
        qs = qs.filter(pgh_context__user__in=_user_ids(filters.person))
    if filters.item:
        model, pk = _item(filters.item)
        qs = qs.filter(pgh_obj_model=model, pgh_obj_id=str(pk)) if pk else qs.none()
    if filters.resident:
        filters.resident_incidents = _resident_incident_ids(filters.resident)
        qs = qs.filter(
            pgh_obj_model="incidents.Incident",
            pgh_obj_id__in=[str(i) for i in filters.resident_incidents],
        )
    if filters.date_from:
        qs = qs.filter(pgh_created_at__gte=_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(pgh_created_at__lt=_start(filters.date_to + timedelta(days=1)))
    return qs.order_by("-pgh_created_at", "-pgh_id")


def usernames(ids: set[int]) -> dict[int, str]:
    return dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))


def incident_references(ids: set[int]) -> dict[int, str]:
    return dict(Incident.objects.filter(pk__in=ids).values_list("pk", "reference"))


def describe_context(context: dict[str, Any]) -> str:
    """Where a change came from, for people: the request, the sync run or the task."""
    if context.get("sync_run"):
        return f"sync run {context['sync_run']} ({context.get('source', '')})"
    if context.get("retention"):
        return f"retention ({context['retention']})"
    if context.get("url"):
        return str(context["url"])
    if context.get("task"):
        return f"task {context['task']}"
    return ""
