"""Celery tasks: thin wrappers that load by id and call one service.

`sync_run` retries itself with exponential backoff on temporary failures (timeouts, HTTP 5xx,
connection errors) and never on bad data, bad configuration or 401/403, which the service
records on the run instead of raising. `sync_source_scheduled` is what beat sends.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .adapters import TemporaryError
from .services import run_execute, run_scheduled


@shared_task(
    bind=True,
    name="integrations.sync_run",
    acks_late=True,
    autoretry_for=(TemporaryError,),
    max_retries=settings.KOBAN_SYNC_MAX_RETRIES,
    retry_backoff=settings.KOBAN_SYNC_RETRY_BACKOFF,
    retry_backoff_max=600,
    retry_jitter=True,
    soft_time_limit=settings.KOBAN_SYNC_SOFT_TIME_LIMIT,
    time_limit=settings.KOBAN_SYNC_TIME_LIMIT,
)
def sync_run(self, run_id: int) -> None:
    run_execute(run_id=run_id, final_attempt=self.request.retries >= self.max_retries)


@shared_task(name="integrations.sync_source_scheduled", acks_late=True)
def sync_source_scheduled(source_id: int) -> None:
    run_scheduled(source_id=source_id)
