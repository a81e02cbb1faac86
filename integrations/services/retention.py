"""Rejected records hold raw upstream payloads, which can carry residents' personal data: they
are deleted KOBAN_REJECTED_RETENTION_DAYS after they were last seen, each deletion logged in
the access log (which record, which source, which rule; never the payload)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import PersonalDataAccess
from incidents.services import access_record

from ..models import RejectedRecord

RULE = "KOBAN_REJECTED_RETENTION_DAYS"


@transaction.atomic
def rejected_prune(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    days = settings.KOBAN_REJECTED_RETENTION_DAYS
    old = list(
        RejectedRecord.objects.select_for_update()
        .filter(updated_at__lt=now - timedelta(days=days))
        .select_related("source")
        .only("id", "external_id", "source__name", "updated_at")
    )
    for record in old:
        access_record(
            user=None,
            action=PersonalDataAccess.Action.ERASE,
            channel="retention",
            purpose=f"Retention period over ({days} days after the record was last seen)",
            detail={
                "rule": RULE,
                "days": days,
                "what": "rejected record",
                "rejected_record": record.pk,
                "source": record.source.name,
                "external_id": record.external_id,
            },
        )
    RejectedRecord.objects.filter(pk__in=[r.pk for r in old]).delete()
    return len(old)
