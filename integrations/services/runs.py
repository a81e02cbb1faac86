"""Sync runs: queue one, then execute it without holding a transaction over the network.

Execution: claim the run (short transaction), pull records outside any transaction into a
small buffer, write them through the domain services in short transactions (at most
BATCH_RECORDS records or BATCH_SECONDS each: commits stay cheap and the outbox lock is held
briefly), report progress after each, and finish (counts, status, the source's new cursor) in
one short transaction. A failure leaves the cursor where it was, so the next run fetches the
same window again; upserts are idempotent.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.errors import InvalidInput

from ..adapters import (
    MappedIncident,
    MappingError,
    PermanentError,
    TemporaryError,
    registry,
)
from ..adapters.base import Cursor, Pull, Raw
from ..adapters.http import Http
from ..models import Source, SyncRun
from ..selectors import open_fingerprints
from .records import (
    fingerprint_of,
    record_apply,
    record_quarantine,
    refusal_reason,
    rejected_resolve_imported,
    source_adapter,
)

logger = logging.getLogger(__name__)

STALE_MESSAGE = (
    "The worker running this sync stopped without finishing (time limit or crash); "
    "a later run takes over."
)
# A queued run nobody picked up for this long is abandoned (e.g. the broker lost it).
QUEUED_STALE = timedelta(hours=4)
PROGRESS_EVERY_SECONDS = 0.5
BATCH_RECORDS = 50
BATCH_SECONDS = 0.3


def _running_stale() -> timedelta:
    return timedelta(seconds=settings.KOBAN_SYNC_TIME_LIMIT + 60)


def run_is_stale(run: SyncRun) -> bool:
    last = run.heartbeat_at or run.started_at or run.queued_at
    limit = _running_stale() if run.status == SyncRun.Status.RUNNING else QUEUED_STALE
    return last is not None and last < timezone.now() - limit


def _abandon(run: SyncRun) -> None:
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.FAILED, error=STALE_MESSAGE, finished_at=timezone.now(), upload=None
    )


def run_create(
    *,
    source: Source,
    trigger: str,
    user: Any = None,
    upload: bytes | None = None,
    upload_name: str = "",
    enqueue: bool = True,
) -> tuple[SyncRun, bool]:
    """Queue a run of `source` unless one is queued or running; returns (run, created).

    The Celery task is sent after commit, so the worker always finds the row.
    """
    with transaction.atomic():
        src = Source.objects.select_for_update().get(pk=source.pk)
        if not src.enabled and trigger != SyncRun.Trigger.SCHEDULE:
            raise InvalidInput({"enabled": ["This source is disabled; enable it to run it."]})
        active = SyncRun.objects.filter(source=src, status__in=SyncRun.ACTIVE).first()
        if active is not None:
            if not run_is_stale(active):
                if upload is not None:
                    raise InvalidInput(
                        {"file": ["A sync of this source is in progress; upload when it ends."]}
                    )
                return active, False
            _abandon(active)
        run = SyncRun.objects.create(
            source=src,
            trigger=trigger,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            upload=upload,
            upload_name=upload_name[:255],
            cursor_before=src.cursor,
        )
        if enqueue:
            transaction.on_commit(partial(_enqueue, run.pk))
    return run, True


def _enqueue(run_id: int) -> None:
    from ..tasks import sync_run

    try:
        sync_run.delay(run_id)
    except Exception as exc:  # broker down: say so on the run instead of leaving it queued
        logger.exception("could not queue sync run %s", run_id)
        SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
            status=SyncRun.Status.FAILED,
            error=f"Could not queue the run (is the broker up?): {exc}",
            finished_at=timezone.now(),
        )


def run_scheduled(*, source_id: int) -> SyncRun | None:
    """What beat triggers: queue a run of an enabled source (a running one is left alone)."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None or not source.enabled:
        logger.info("scheduled sync of source %s skipped (missing or disabled)", source_id)
        return None
    run, created = run_create(source=source, trigger=SyncRun.Trigger.SCHEDULE)
    if not created:
        logger.info("source %s: run %s still active; this tick is skipped", source.name, run.pk)
    return run


class _Progress:
    """Counts of the current attempt, written to the run at most every half second."""

    def __init__(self, run: SyncRun) -> None:
        self.run_id = run.pk
        self.counts = dict.fromkeys(SyncRun.COUNTS, 0)
        self._last = 0.0

    def add(self, name: str) -> None:
        self.counts[name] += 1

    def flush(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_EVERY_SECONDS:
            self._last = now
            SyncRun.objects.filter(pk=self.run_id).update(
                **self.counts, heartbeat_at=timezone.now()
            )


@transaction.atomic
def _claim(run_id: int) -> SyncRun | None:
    run = SyncRun.objects.select_for_update().select_related("source").filter(pk=run_id).first()
    if run is None:
        logger.warning("sync run %s does not exist (deleted?); nothing to do", run_id)
        return None
    if run.status in SyncRun.FINISHED:
        return None
    if run.status == SyncRun.Status.RUNNING and not run_is_stale(run):
        logger.warning("sync run %s is already running elsewhere; not starting it twice", run_id)
        return None
    now = timezone.now()
    run.status = SyncRun.Status.RUNNING
    run.started_at = run.started_at or now
    run.heartbeat_at = now
    run.attempts += 1
    run.error = ""
    for name in SyncRun.COUNTS:
        setattr(run, name, 0)
    run.save()
    return run


@transaction.atomic
def _finish(
    run: SyncRun, progress: _Progress, status: str, *, error: str = "", cursor: Cursor | None = None
) -> SyncRun:
    obj = SyncRun.objects.select_for_update().get(pk=run.pk)
    for name, value in progress.counts.items():
        setattr(obj, name, value)
    obj.status = status
    obj.error = error
    obj.finished_at = obj.heartbeat_at = timezone.now()
    obj.upload = None
    if cursor is not None:
        obj.cursor_after = cursor
        Source.objects.filter(pk=obj.source_id).update(cursor=cursor)
    obj.save()
    return obj


def _requeue(run: SyncRun, progress: _Progress, error: str) -> None:
    SyncRun.objects.filter(pk=run.pk).update(
        **progress.counts,
        status=SyncRun.Status.QUEUED,
        error=f"Attempt {run.attempts} failed, will retry: {error}",
        heartbeat_at=timezone.now(),
    )


def _drain(pull: Pull, handle: Callable[[Raw], None], after_batch: Callable[[], None]) -> Cursor:
    """Feed every pulled record to `handle`, in short transactions; return the generator's
    cursor. The buffer is filled outside any transaction, since filling it may fetch a page."""
    buffer: deque[Raw] = deque()
    cursor: Cursor | None = None
    try:
        while True:
            while cursor is None and len(buffer) < BATCH_RECORDS:
                try:
                    buffer.append(next(pull))
                except StopIteration as stop:
                    cursor = dict(stop.value or {})
            if not buffer:
                return cursor or {}
            started = time.monotonic()
            with transaction.atomic():
                while buffer and time.monotonic() - started < BATCH_SECONDS:
                    handle(buffer.popleft())
            after_batch()
    finally:
        pull.close()


def run_execute(*, run_id: int, final_attempt: bool = True) -> SyncRun | None:
    """Execute a queued run. Raises TemporaryError only when another attempt should follow."""
    run = _claim(run_id)
    if run is None:
        return None
    source = run.source
    progress = _Progress(run)
    rejected_before = open_fingerprints(source)
    try:
        adapter, config = source_adapter(source)

        def handle(raw: Raw) -> None:
            progress.add("fetched")
            fingerprint = fingerprint_of(raw)
            try:
                mapped = adapter.map(raw, config)
                outcome = record_apply(source=source, config=config, mapped=mapped)
            except (MappingError, InvalidInput) as exc:
                record_quarantine(
                    source=source,
                    run=run,
                    raw=raw,
                    reason=refusal_reason(exc),
                    external_id=adapter.external_id(raw, config),
                    fingerprint=fingerprint,
                )
                progress.add("rejected")
            else:
                progress.add(outcome)
                if isinstance(mapped, MappedIncident) and mapped.location is None:
                    progress.add("not_located")
                if fingerprint in rejected_before:
                    rejected_resolve_imported(source=source, fingerprint=fingerprint)
            progress.add("processed")

        upload = bytes(run.upload) if run.upload is not None else None
        with Http(upload=upload, upload_name=run.upload_name) as http:
            pull = adapter.pull(config, dict(source.cursor or {}), http)
            cursor = _drain(pull, handle, progress.flush)
    except TemporaryError as exc:
        if not final_attempt:
            _requeue(run, progress, str(exc))
            raise
        return _finish(
            run,
            progress,
            SyncRun.Status.FAILED,
            error=f"{exc} Gave up after {run.attempts} attempt(s); the cursor did not move.",
        )
    except PermanentError as exc:
        return _finish(run, progress, SyncRun.Status.FAILED, error=str(exc))
    except SoftTimeLimitExceeded:
        return _finish(
            run,
            progress,
            SyncRun.Status.FAILED,
            error=(
                "Stopped: the run went past its time limit (KOBAN_SYNC_SOFT_TIME_LIMIT); the "
                "records written so far are kept and the cursor did not move."
            ),
        )
    except Exception as exc:  # a bug or an unforeseen answer: the run says so and stops
        logger.exception("sync run %s failed unexpectedly", run.pk)
        return _finish(
            run,
            progress,
            SyncRun.Status.FAILED,
            error=f"Unexpected error ({type(exc).__name__}: {exc}); see the worker log.",
        )
    status = SyncRun.Status.PARTIAL if progress.counts["rejected"] else SyncRun.Status.SUCCEEDED
    return _finish(run, progress, status, cursor=cursor)


def run_now(
    *, source: Source, user: Any = None, upload: bytes | None = None, name: str = ""
) -> tuple[SyncRun, bool]:
    """'Run now' from the pages and the API: queue (or return the active) run."""
    trigger = SyncRun.Trigger.UPLOAD if upload is not None else SyncRun.Trigger.MANUAL
    if upload is not None:
        if source.adapter not in registry or not registry.get(source.adapter).accepts_upload:
            raise InvalidInput({"file": ["This source's adapter does not read uploaded files."]})
        if len(upload) > settings.KOBAN_SYNC_MAX_BYTES_MB * 1024 * 1024:
            raise InvalidInput({"file": [f"At most {settings.KOBAN_SYNC_MAX_BYTES_MB} MB."]})
    return run_create(source=source, trigger=trigger, user=user, upload=upload, upload_name=name)


def run_inline(*, source: Source, user: Any = None) -> SyncRun:
    """A run executed in this process (manage.py sync_source): no broker, no retries."""
    run, created = run_create(
        source=source, trigger=SyncRun.Trigger.COMMAND, user=user, enqueue=False
    )
    if not created:
        raise InvalidInput({"source": [f"Run {run.pk} of '{source.name}' is still {run.status}."]})
    result = run_execute(run_id=run.pk, final_attempt=True)
    assert result is not None
    return result
