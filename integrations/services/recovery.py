"""Runs that recover by themselves: sending a run to the workers, and putting back in the
queue a run whose worker died or whose task was lost.

Beat calls `runs_reconcile` every minute (integrations.setup); "Run now", the schedule and
`manage.py sync_source` call `run_recover` on a source's active run before giving up on it.
Sending a run twice is harmless: the task claims the run under its lock (run_lock.py), so a
second task finds it running under a live lock, or finished, and does nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Literal
from uuid import uuid4

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import SyncRun
from ..selectors import active_run_ids
from .run_lock import lease_held, lease_try_in_transaction

logger = logging.getLogger(__name__)

# A queued run nobody picked up for this long fails (no worker for hours: say so, start afresh).
QUEUED_GIVE_UP = timedelta(hours=4)
# Re-sending a queued run backs off: grace, 2x, 4x ... up to 16x the grace between sends.
RESEND_BACKOFF_CAP = 4


def note(run: SyncRun, text: str) -> None:
    """Append a dated line to the run's recovery notes (the caller saves the run)."""
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%S UTC")
    run.notes = f"{run.notes}\n{stamp}: {text}".strip()


def describe(moment: datetime | None) -> str:
    return moment.strftime("%H:%M:%S UTC") if moment else "never"


def run_enqueue(run_id: int) -> None:
    """Send the run to the workers (after commit), recording the task id and when."""
    from ..tasks import sync_run

    task_id = str(uuid4())
    SyncRun.objects.filter(pk=run_id).update(task_id=task_id, enqueued_at=timezone.now())
    try:
        sync_run.apply_async(args=[run_id], task_id=task_id)
    except Exception as exc:  # broker down: say so on the run instead of leaving it queued
        logger.exception("could not queue sync run %s", run_id)
        SyncRun.objects.filter(pk=run_id, status=SyncRun.Status.QUEUED).update(
            status=SyncRun.Status.FAILED,
            error=f"Could not queue the run (is the broker up?): {exc}",
            finished_at=timezone.now(),
            upload=None,
        )


def _due(run: SyncRun) -> datetime:
    """When a worker should have started the run: queued, last sent, or its retry's time."""
    return max(t for t in (run.queued_at, run.enqueued_at, run.retry_at) if t is not None)


def _grace(run: SyncRun) -> timedelta:
    factor = 2 ** min(run.requeues, RESEND_BACKOFF_CAP)
    return timedelta(seconds=settings.KOBAN_SYNC_QUEUED_GRACE * factor)


def run_is_abandoned(run: SyncRun) -> bool:
    """Running without a live worker (nobody holds its lock), or queued and not picked up
    within the grace period (its task was lost, e.g. the broker lost its data)."""
    if run.status == SyncRun.Status.RUNNING:
        return not lease_held(run.pk)
    if run.status == SyncRun.Status.QUEUED:
        return _due(run) < timezone.now() - _grace(run)
    return False


def _fail(run: SyncRun, error: str) -> None:
    run.status = SyncRun.Status.FAILED
    run.error = error
    run.finished_at = timezone.now()
    run.upload = None
    note(run, error)
    run.save()


def lost_worker_error(run: SyncRun) -> str:
    return (
        f"The worker running this sync stopped without finishing {run.recoveries + 1} times "
        f"(killed, out of memory or crashed; last: {run.holder or 'unknown'}); gave up "
        f"(KOBAN_SYNC_MAX_RECOVERIES={settings.KOBAN_SYNC_MAX_RECOVERIES}). The records "
        "written so far are kept and the cursor did not move; see the worker's log."
    )


Action = Literal["requeued", "failed", ""]


@transaction.atomic
def run_recover(*, run_id: int, enqueue_task: bool = True) -> tuple[SyncRun | None, Action]:
    """Requeue an abandoned run (or fail it, with the reason, when it has been recovered too
    often or waited for hours); a run with a live worker, or one not yet overdue, is left as is.
    Returns the run as it now is and what was done."""
    run = SyncRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.status in SyncRun.FINISHED:
        return run, ""
    now = timezone.now()
    then = "sent to the workers" if enqueue_task else "run by manage.py sync_source"
    if run.status == SyncRun.Status.RUNNING:
        # The lock, taken until commit, keeps a redelivered task from claiming it meanwhile.
        if not lease_try_in_transaction(run.pk):
            return run, ""
        if run.recoveries >= settings.KOBAN_SYNC_MAX_RECOVERIES:
            _fail(run, lost_worker_error(run))
            return run, "failed"
        run.recoveries += 1
        note(
            run,
            f"Attempt {run.attempts} stopped without finishing: its worker "
            f"({run.holder or 'unknown'}) is gone (last heartbeat {describe(run.heartbeat_at)}, "
            f"{run.processed} records processed). Queued again and {then}, to resume from the "
            "source's cursor; records already written are read again as unchanged.",
        )
        run.status = SyncRun.Status.QUEUED
        run.retry_at = None
    else:
        if not run_is_abandoned(run):
            return run, ""
        if run.queued_at < now - QUEUED_GIVE_UP:
            _fail(
                run,
                f"No worker started this run in {QUEUED_GIVE_UP.seconds // 3600} hours "
                f"(sent {run.requeues + 1} times); is a Celery worker running? A new run "
                "can be started.",
            )
            return run, "failed"
        waited = int((now - _due(run)).total_seconds())
        run.requeues += 1
        note(
            run,
            f"Queued at {describe(run.queued_at)} and still not started {waited} s after it "
            "was due (its task was lost, e.g. the broker lost its data, or no worker is "
            f"free); {then} ({run.requeues} time(s) so far).",
        )
    run.save()
    if enqueue_task:
        transaction.on_commit(partial(run_enqueue, run.pk))
    return run, "requeued"


@dataclass
class ReconcileReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return f"requeued {self.requeued or 'none'}, failed {self.failed or 'none'}"


def runs_reconcile() -> ReconcileReport:
    """What beat runs every minute: recover every abandoned queued or running run."""
    report = ReconcileReport()
    for run_id in active_run_ids():
        _, action = run_recover(run_id=run_id)
        if action:
            getattr(report, action).append(run_id)
    return report
