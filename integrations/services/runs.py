"""Sync runs: queue one, then execute it without holding a transaction over the network.

Execution: claim the run (short transaction), pull records outside any transaction into a
small buffer, write them through the domain services in short transactions (at most
BATCH_RECORDS records or BATCH_SECONDS each: commits stay cheap and the outbox lock is held
briefly), report progress after each, and finish (counts, status, the source's new cursor) in
one short transaction. A failure leaves the cursor where it was, so the next run fetches the
same window again; upserts are idempotent.

The worker holds the run's advisory lock (run_lock.py) from before the claim until after the
end, so a run that is "running" without a lock holder lost its worker: the next task for it (a
redelivery, or one sent by the reconciler in recovery.py) takes it over, starting again from
the source's cursor (the last one committed), and records already written read as unchanged.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pghistory
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
from ..masking import mask_text
from ..models import Source, SyncRun
from ..selectors import active_run, open_fingerprints
from .records import (
    fingerprint_of,
    record_apply,
    record_quarantine,
    refusal_reason,
    rejected_resolve_imported,
    source_adapter,
)
from .recovery import (
    describe,
    lost_worker_error,
    note,
    run_enqueue,
    run_is_abandoned,
    run_recover,
)
from .run_lock import LeaseLost, RunLease

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5
BATCH_RECORDS = 50
BATCH_SECONDS = 0.3


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

    An active run that was abandoned (its worker died, or its task was lost) is sent again
    instead, or failed if it cannot be (recovery.run_recover). The Celery task is sent after
    commit, so the worker always finds the row.
    """
    with transaction.atomic():
        src = Source.objects.select_for_update().get(pk=source.pk)
        if not src.enabled and trigger != SyncRun.Trigger.SCHEDULE:
            raise InvalidInput({"enabled": ["This source is disabled; enable it to run it."]})
        active = SyncRun.objects.filter(source=src, status__in=SyncRun.ACTIVE).first()
        if active is not None and run_is_abandoned(active):
            active, _ = run_recover(run_id=active.pk, enqueue_task=enqueue)
        if active is not None and active.is_active:
            if upload is not None:
                raise InvalidInput(
                    {"file": ["A sync of this source is in progress; upload when it ends."]}
                )
            return active, False
        run = SyncRun.objects.create(
            source=src,
            trigger=trigger,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            upload=upload,
            upload_name=upload_name[:255],
            cursor_before=src.cursor,
        )
        if enqueue:
            transaction.on_commit(partial(run_enqueue, run.pk))
    return run, True


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
    """Counts of the current attempt, written to the run at most every half second (only while
    this attempt owns the run: `attempts` is the claim's number)."""

    def __init__(self, run: SyncRun) -> None:
        self.run_id = run.pk
        self.attempt = run.attempts
        self.counts = dict.fromkeys(SyncRun.COUNTS, 0)
        self._last = 0.0

    def add(self, name: str) -> None:
        self.counts[name] += 1

    def flush(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_EVERY_SECONDS:
            self._last = now
            SyncRun.objects.filter(pk=self.run_id, attempts=self.attempt).update(
                **self.counts, heartbeat_at=timezone.now()
            )


@transaction.atomic
def _claim(run_id: int, *, worker: str = "", task_id: str = "") -> SyncRun | None:
    """Make the run ours. Precondition: this process holds the run's lock, so a run found
    "running" lost its worker and is taken over (or failed, if that happened too often)."""
    run = SyncRun.objects.select_for_update().select_related("source").filter(pk=run_id).first()
    if run is None:
        logger.warning("sync run %s does not exist (deleted?); nothing to do", run_id)
        return None
    if run.status in SyncRun.FINISHED:
        return None
    now = timezone.now()
    worker, pid = worker or socket.gethostname(), os.getpid()
    if run.status == SyncRun.Status.RUNNING:
        logger.warning("sync run %s: its worker (%s) is gone; taking it over", run_id, run.holder)
        if run.recoveries >= settings.KOBAN_SYNC_MAX_RECOVERIES:
            run.status = SyncRun.Status.FAILED
            run.error = lost_worker_error(run)
            run.finished_at = now
            run.upload = None
            note(run, run.error)
            run.save()
            return None
        run.recoveries += 1
        note(
            run,
            f"Attempt {run.attempts + 1} ({worker}, process {pid}) took over: the worker of "
            f"attempt {run.attempts} ({run.holder or 'unknown'}) stopped without finishing "
            f"(last heartbeat {describe(run.heartbeat_at)}, {run.processed} records "
            "processed). It starts again from the source's cursor; records already written are "
            "read again as unchanged.",
        )
    run.status = SyncRun.Status.RUNNING
    run.started_at = run.started_at or now
    run.heartbeat_at = now
    run.attempts += 1
    run.worker, run.worker_pid = worker[:255], pid
    run.task_id = task_id[:64] or run.task_id
    run.retry_at = None
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
    if obj.attempts != run.attempts or obj.status != SyncRun.Status.RUNNING:
        logger.warning("sync run %s was taken over meanwhile; not finishing it", run.pk)
        return obj
    for name, value in progress.counts.items():
        setattr(obj, name, value)
    obj.status = status
    # Run errors can echo upstream values: e-mails and phone numbers never reach the page.
    obj.error = mask_text(error)
    obj.finished_at = obj.heartbeat_at = timezone.now()
    obj.upload = None
    if cursor is not None:
        obj.cursor_after = cursor
        Source.objects.filter(pk=obj.source_id).update(cursor=cursor)
    obj.save()
    return obj


def _requeue(run: SyncRun, progress: _Progress, error: str, retry_in: float) -> None:
    now = timezone.now()
    SyncRun.objects.filter(pk=run.pk, attempts=run.attempts).update(
        **progress.counts,
        status=SyncRun.Status.QUEUED,
        error=f"Attempt {run.attempts} failed, will retry in {retry_in:.0f} s: {error}",
        heartbeat_at=now,
        retry_at=now + timedelta(seconds=retry_in),
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


def run_execute(
    *, run_id: int, retry_in: float | None = None, worker: str = "", task_id: str = ""
) -> SyncRun | None:
    """Execute a queued run, or take over one whose worker died; returns None when there is
    nothing to do (finished, deleted, or a live worker holds it). Raises TemporaryError only
    when another attempt should follow, `retry_in` seconds later (None: this is the last)."""
    lease = RunLease.acquire(run_id)
    if lease is None:
        logger.warning("sync run %s is held by a live worker; leaving it alone", run_id)
        return None
    try:
        run = _claim(run_id, worker=worker, task_id=task_id)
        if run is None:
            return None
        lease.start_heartbeat(attempt=run.attempts, every=settings.KOBAN_SYNC_HEARTBEAT_SECONDS)
        # Every row the run writes (bulk upserts included) names it in the change history.
        with pghistory.context(
            sync_run=run.pk, source=run.source.name, task_id=task_id or None, worker=worker or None
        ):
            return _execute(run, lease, retry_in)
    except LeaseLost:
        logger.exception("sync run %s stopped: lost its lock", run_id)
        return None
    finally:
        lease.release()


def _execute(run: SyncRun, lease: RunLease, retry_in: float | None) -> SyncRun:
    source = run.source
    progress = _Progress(run)

    def after_batch() -> None:
        lease.check()
        progress.flush()

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
            cursor = _drain(pull, handle, after_batch)
    except LeaseLost:
        raise
    except TemporaryError as exc:
        if retry_in is not None:
            _requeue(run, progress, str(exc), retry_in)
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
    """A run executed in this process (manage.py sync_source): no broker, no retries. An
    abandoned active run (worker gone, task lost) is executed here instead of a new one."""
    active = active_run(source)
    if active is not None and run_is_abandoned(active):
        active, action = run_recover(run_id=active.pk, enqueue_task=False)
        if action == "requeued" and active is not None:
            return _inline(source, active)
    run, created = run_create(
        source=source, trigger=SyncRun.Trigger.COMMAND, user=user, enqueue=False
    )
    if not created:
        where = f" on {run.holder}" if run.status == SyncRun.Status.RUNNING and run.holder else ""
        raise InvalidInput(
            {"source": [f"Run {run.pk} of '{source.name}' is still {run.status}{where}."]}
        )
    return _inline(source, run)


def _inline(source: Source, run: SyncRun) -> SyncRun:
    result = run_execute(run_id=run.pk)
    if result is None:
        raise InvalidInput({"source": [f"Run {run.pk} of '{source.name}' was started elsewhere."]})
    return result
