"""Celery tasks of the operational domain: thin wrappers that call one service each."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.contrib.gis.geos import Point
from django.utils import timezone

from .services import patrol_record_position
from .services.outbox import outbox_prune
from .services.repeat_places import repeat_places_scan
from .services.retention import personal_data_erase_expired

logger = logging.getLogger(__name__)


@shared_task(soft_time_limit=600, time_limit=660)
def outbox_prune_task() -> int:
    """Run by celery beat (see incidents.setup.ensure_outbox_prune_schedule)."""
    deleted = outbox_prune()
    logger.info("pruned %s outbox events", deleted)
    return deleted


@shared_task(acks_late=True, soft_time_limit=1800, time_limit=1860)
def retention_task() -> int:
    """Nightly, by celery beat (incidents.setup): erase reporters' contacts past retention.
    Idempotent: an erased contact is gone, a redelivery finds nothing more to do."""
    return len(personal_data_erase_expired().erased)


@shared_task(acks_late=True, soft_time_limit=30, time_limit=60)
def patrol_record_position_task(
    patrol_id: int,
    lon: float,
    lat: float,
    recorded_at: str,
    speed_kmh: float | None = None,
    heading: float | None = None,
    source: str = "tracker",
) -> bool:
    """Record a tracker fix off the request path.

    The fix's own time is required: a redelivered task then records nothing twice.
    """
    at = datetime.fromisoformat(recorded_at)
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    _, recorded = patrol_record_position(
        patrol=patrol_id,
        location=Point(lon, lat, srid=4326),
        recorded_at=at,
        speed_kmh=speed_kmh,
        heading=heading,
        source=source,
    )
    return recorded


@shared_task(acks_late=True, soft_time_limit=600, time_limit=660)
def repeat_places_scan_task() -> dict[str, int]:
    """Hourly, by celery beat (incidents.setup): propose repeat places for supervisors.
    Idempotent: an unchanged cluster updates nothing, a redelivery proposes nothing twice."""
    result = repeat_places_scan()
    logger.info("repeat places: %s", result)
    return {
        "proposed": len(result.proposed),
        "updated": len(result.updated),
        "expired": len(result.expired),
        "skipped_dismissed": result.skipped_dismissed,
    }
