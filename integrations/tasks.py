"""Celery tasks: thin wrappers that load by id and call one service.

`sync_run` retries itself with exponential backoff on temporary failures (timeouts, HTTP 5xx,
connection errors) and never on bad data, bad configuration or 401/403, which the service
records on the run instead of raising. `sync_source_scheduled` is what beat sends for a
source's schedule; `sync_runs_reconcile` is what beat sends every minute to recover runs whose
worker died or whose task was lost (integrations.setup registers it).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from .adapters import TemporaryError
from .services import rejected_prune, run_execute, run_scheduled, runs_reconcile

logger = logging.getLogger(__name__)

RETRY_BACKOFF_MAX = 600


@shared_task(
    bind=True,
    name="integrations.sync_run",
    acks_late=True,
    max_retries=settings.KOBAN_SYNC_MAX_RETRIES,
    soft_time_limit=settings.KOBAN_SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.KOBAN_SYNC_TIME_LIMIT,
)
def sync_run(self, run_id: int) -> None:
    # The delay is chosen before the attempt so the run can say when the next one is due.
    retry_in = None
    if self.request.retries < self.max_retries:
        retry_in = get_exponential_backoff_interval(
            factor=settings.KOBAN_SYNC_RETRY_BACKOFF,
            retries=self.request.retries,
            maximum=RETRY_BACKOFF_MAX,
            full_jitter=True,
        )
    try:
        run_execute(
            run_id=run_id,
            retry_in=retry_in,
            worker=self.request.hostname or "",
            task_id=self.request.id or "",
        )
    except TemporaryError as exc:
        raise self.retry(exc=exc, countdown=retry_in) from exc


@shared_task(name="integrations.sync_source_scheduled", acks_late=True)
def sync_source_scheduled(source_id: int) -> None:
    run_scheduled(source_id=source_id)


@shared_task(name="integrations.sync_runs_reconcile", acks_late=True)
def sync_runs_reconcile() -> str:
    report = runs_reconcile()
    if report.requeued or report.failed:
        logger.warning("sync runs reconciled: %s", report)
    return str(report)


@shared_task(
    name="integrations.rejected_prune", acks_late=True, soft_time_limit=600, time_limit=660
)
def rejected_prune_task() -> int:
    """Nightly, by celery beat (integrations.setup): delete rejected records past retention."""
    return rejected_prune()
