"""Outbox upkeep: the live feed replays from these rows, so they are kept for a retention
period and then deleted in small batches."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import OutboxEvent
from ..selectors import latest_event_sequence


def outbox_prune(
    *, now: datetime | None = None, retention_hours: int | None = None, batch_size: int = 5000
) -> int:
    """Delete events older than the retention period and return how many went.

    The newest row always stays, so the sequence (and a client's "after") remains checkable
    on a quiet system. Short transactions keep writers' outbox lock waits short.
    """
    hours = settings.KOBAN_OUTBOX_RETENTION_HOURS if retention_hours is None else retention_hours
    cutoff = (now or timezone.now()) - timedelta(hours=hours)
    newest = latest_event_sequence()
    if not newest:
        return 0
    deleted = 0
    while True:
        with transaction.atomic():
            ids = list(
                OutboxEvent.objects.filter(created_at__lt=cutoff, id__lt=newest)
                .order_by("id")
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return deleted
            count, _ = OutboxEvent.objects.filter(id__in=ids).delete()
        deleted += count
