"""Runs: never two of one source at once; a run a live worker holds (its advisory lock) is
left alone; a run whose worker died is taken over, or sent again by the reconciler beat runs
every minute, as is a queued run whose task was lost; what cannot recover fails with a reason.
The real worker being killed is in test_run_recovery.py."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_celery_beat.models import PeriodicTask

from incidents.errors import InvalidInput
from incidents.models import Incident
from integrations import services
from integrations.adapters import TemporaryError
from integrations.models import SyncRun
from integrations.services.run_lock import RunLease
from integrations.setup import RECONCILE_TASK_NAME

from .conftest import SF_REQUESTS, open311_config

pytestmark = pytest.mark.django_db
REQUESTS = "/open311/v2/requests.json"


@pytest.fixture
def source(feed, make_source):
    feed.serve(REQUESTS, json.loads(SF_REQUESTS.read_bytes())[:5])
    return make_source(config=open311_config(feed))


def test_a_second_run_request_returns_the_active_run_and_the_database_refuses_two(source):
    first, created = services.run_create(source=source, trigger="manual", enqueue=False)
    again, created_again = services.run_create(source=source, trigger="schedule", enqueue=False)

    assert created and not created_again
    assert again.pk == first.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        SyncRun.objects.create(source=source, trigger="manual", status="running")
    with pytest.raises(InvalidInput, match="still queued"):
        services.run_inline(source=source)


@pytest.fixture
def live_worker():
    """Hold a run's lock as a live worker does, on a connection of its own (another process,
    as far as PostgreSQL can tell); released at the end of the test."""
    leases = []

    def hold(run: SyncRun, worker: str = "celery@elsewhere", pid: int = 4242) -> RunLease:
        SyncRun.objects.filter(pk=run.pk).update(
            status="running", worker=worker, worker_pid=pid, heartbeat_at=timezone.now()
        )
        lease = RunLease.acquire(run.pk)
        assert lease is not None
        leases.append(lease)
        return lease

    yield hold
    for lease in leases:
        lease.release()


def test_a_task_for_a_run_a_live_worker_holds_does_nothing(source, feed, live_worker):
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    live_worker(run)

    assert services.run_execute(run_id=run.pk) is None  # e.g. the same task delivered twice
    assert services.runs_reconcile().requeued == []
    again, created = services.run_create(source=source, trigger="manual", enqueue=False)
    with pytest.raises(InvalidInput, match="still running on celery@elsewhere, process 4242"):
        services.run_inline(source=source)

    assert not created and again.pk == run.pk
    assert feed.count(REQUESTS) == 0
    run.refresh_from_db()
    assert (run.status, run.attempts, run.recoveries, run.notes) == ("running", 0, 0, "")


def _died(run: SyncRun, **fields) -> None:
    """What a worker killed mid-run leaves: "running", its name, a heartbeat, and no lock."""
    SyncRun.objects.filter(pk=run.pk).update(
        status="running",
        worker="celery@dead",
        worker_pid=999_999,
        attempts=1,
        processed=3,
        heartbeat_at=timezone.now() - timedelta(seconds=5),
        **fields,
    )


def test_a_redelivered_task_takes_over_the_run_of_a_worker_that_died(source, feed):
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    _died(run)

    done = services.run_execute(run_id=run.pk, worker="celery@alive")

    assert (done.pk, done.status, done.created, done.attempts, done.recoveries) == (
        run.pk,
        "succeeded",
        5,
        2,
        1,
    )
    assert (done.worker, done.worker_pid) == ("celery@alive", os.getpid())
    assert "Attempt 2 (celery@alive, process" in done.notes
    assert "worker of attempt 1 (celery@dead, process 999999) stopped without finishing" in (
        done.notes
    )
    assert Incident.objects.filter(source="sf311").count() == 5


@pytest.mark.django_db(transaction=True)
def test_the_reconciler_requeues_a_running_run_without_a_live_worker(source, feed, eager_celery):
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    _died(run)

    report = services.runs_reconcile()

    assert report.requeued == [run.pk] and report.failed == []
    run.refresh_from_db()  # the task it sent ran (eagerly) and took the run
    assert (run.status, run.created, run.recoveries, run.attempts) == ("succeeded", 5, 1, 2)
    assert run.task_id and run.enqueued_at
    assert "its worker (celery@dead, process 999999) is gone" in run.notes
    assert services.runs_reconcile().requeued == []  # nothing left to do


@pytest.mark.django_db(transaction=True)
def test_a_run_left_queued_without_a_task_is_sent_again(source, feed, eager_celery):
    """As after Redis lost its data: the row says queued, no task will ever come."""
    lost, _ = services.run_create(source=source, trigger="schedule", enqueue=False)
    SyncRun.objects.filter(pk=lost.pk).update(queued_at=timezone.now() - timedelta(minutes=2))

    report = services.runs_reconcile()

    assert report.requeued == [lost.pk]
    lost.refresh_from_db()
    assert (lost.status, lost.created, lost.requeues, lost.attempts) == ("succeeded", 5, 1, 1)
    assert "not started" in lost.notes and "sent to the workers (1 time(s) so far)" in lost.notes


@pytest.mark.django_db(transaction=True)
def test_a_queued_run_within_its_grace_or_waiting_for_its_retry_is_left_alone(source, feed):
    fresh, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    assert services.runs_reconcile().requeued == []
    SyncRun.objects.filter(pk=fresh.pk).update(
        queued_at=timezone.now() - timedelta(minutes=10),
        retry_at=timezone.now() + timedelta(minutes=5),
    )
    assert services.runs_reconcile().requeued == []
    assert SyncRun.objects.get(pk=fresh.pk).status == "queued"


def test_a_temporary_failure_queues_the_run_with_the_time_of_its_next_attempt(feed, make_source):
    feed.serve(REQUESTS, b"busy", status=503, content_type="text/plain")
    source = make_source(config=open311_config(feed))
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)

    with pytest.raises(TemporaryError):
        services.run_execute(run_id=run.pk, retry_in=120)

    run.refresh_from_db()
    assert run.status == "queued"
    assert run.error.startswith("Attempt 1 failed, will retry in 120 s: HTTP 503")
    assert timedelta(seconds=110) < run.retry_at - timezone.now() <= timedelta(seconds=120)
    assert not services.run_is_abandoned(run)


@pytest.mark.django_db(transaction=True)
def test_runs_that_cannot_recover_fail_with_a_reason_and_free_the_source(source, settings):
    dying, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    _died(dying, recoveries=settings.KOBAN_SYNC_MAX_RECOVERIES)

    assert services.runs_reconcile().failed == [dying.pk]
    dying.refresh_from_db()
    assert dying.status == "failed" and dying.finished_at
    assert dying.error.startswith("The worker running this sync stopped without finishing 4 times")
    assert "celery@dead, process 999999" in dying.error and dying.error in dying.notes

    forgotten, created = services.run_create(source=source, trigger="manual", enqueue=False)
    assert created
    SyncRun.objects.filter(pk=forgotten.pk).update(queued_at=timezone.now() - timedelta(hours=5))
    assert services.runs_reconcile().failed == [forgotten.pk]
    forgotten.refresh_from_db()
    assert forgotten.status == "failed"
    assert forgotten.error.startswith("No worker started this run in 4 hours")


@pytest.mark.django_db(transaction=True)
def test_sync_source_takes_over_a_stuck_run_instead_of_exiting_1(source, feed):
    stuck, _ = services.run_create(source=source, trigger="schedule", enqueue=False)
    _died(stuck)
    out = StringIO()

    call_command("sync_source", "sf311", stdout=out)

    stuck.refresh_from_db()
    assert (stuck.status, stuck.created, stuck.recoveries) == ("succeeded", 5, 1)
    assert f"Run {stuck.pk} of sf311: succeeded" in out.getvalue()
    assert "celery@dead, process 999999" in out.getvalue()
    assert SyncRun.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_run_now_sends_a_stuck_run_again_instead_of_returning_it_as_it_is(
    source, feed, eager_celery
):
    stuck, _ = services.run_create(source=source, trigger="schedule", enqueue=False)
    _died(stuck)

    again, created = services.run_now(source=source)

    assert not created and again.pk == stuck.pk
    stuck.refresh_from_db()
    assert (stuck.status, stuck.created, stuck.recoveries) == ("succeeded", 5, 1)


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_is_written_while_a_slow_download_goes_on(feed, make_source, settings):
    settings.KOBAN_SYNC_HEARTBEAT_SECONDS = 1
    seen = []

    def slow(hit):
        time.sleep(2.5)
        seen.append(SyncRun.objects.values_list("started_at", "heartbeat_at").get())
        connection.close()  # this is the feed server's thread
        return 200, {"Content-Type": "application/json"}, b"[]"

    feed.route(REQUESTS, slow)
    run = services.run_inline(source=make_source(config=open311_config(feed)))

    ((started, beat),) = seen
    assert run.status == "succeeded"
    assert beat - started >= timedelta(seconds=1.5)  # written by the lease's heartbeat thread


def test_beat_has_the_reconcile_task_every_minute():
    task = PeriodicTask.objects.get(name=RECONCILE_TASK_NAME)
    assert (task.task, task.enabled, task.expire_seconds) == (
        "integrations.sync_runs_reconcile",
        True,
        60,
    )
    assert (task.interval.every, task.interval.period) == (60, "seconds")


def test_the_api_and_the_run_page_show_the_heartbeat_and_who_holds_the_run(
    source, client, integrator, live_worker
):
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    live_worker(run, worker="celery@koban-worker-2", pid=31337)
    client.force_login(integrator)

    api = client.get(reverse("integrations-api:run", args=[run.pk])).json()
    page = client.get(reverse("integrations:run", args=[run.pk])).content.decode()
    progress = client.get(reverse("integrations:run-progress", args=[run.pk])).json()

    run.refresh_from_db()
    assert (api["status"], api["worker"], api["worker_pid"]) == (
        "running",
        "celery@koban-worker-2",
        31337,
    )
    assert parse_datetime(api["heartbeat_at"]) == run.heartbeat_at
    assert "Last heartbeat" in page
    assert run.heartbeat_at.strftime("%Y-%m-%d %H:%M:%S") in page  # UTC in the tests
    assert '<dd data-field="holder">celery@koban-worker-2, process 31337</dd>' in page
    assert progress["holder"] == "celery@koban-worker-2, process 31337"


def test_a_disabled_source_is_not_run_by_hand_nor_by_the_schedule(source):
    services.source_update(source=source, enabled=False)
    with pytest.raises(InvalidInput, match="disabled"):
        services.run_now(source=source)
    assert services.run_scheduled(source_id=source.pk) is None
    assert not SyncRun.objects.exists()


def test_a_run_whose_source_was_deleted_is_skipped(source):
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    services.source_delete(source=source)
    assert services.run_execute(run_id=run.pk) is None


def test_uploads_are_refused_for_adapters_that_do_not_read_files(source):
    with pytest.raises(InvalidInput, match="does not read uploaded files"):
        services.run_now(source=source, upload=b"a,b\n1,2\n", name="x.csv")
