"""Faults injected into real workers: a Celery worker killed with SIGKILL in the middle of a
5 000-record Open311 sync, served by a loopback server, on the test database. Nobody acts: the
run completes by itself, with every record imported exactly once.

- Only the worker's child is killed: Celery redelivers the task (acks late, reject on worker
  lost) and the new child takes the run over, since the dead one's lock went with it.
- The whole worker is killed (as when its machine dies): nothing is redelivered for hours
  (the visibility timeout); the reconcile task, sent as beat sends it, queues the run again
  and the second worker finishes it.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.db.models import Count

from incidents.models import Incident, OutboxEvent, TimelineEntry
from integrations import services
from integrations.models import SyncRun

from .conftest import open311_config
from .test_worker import purge_broker, start_worker, stop_worker, wait_for, worker_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]

REQUESTS = "/open311/v2/requests.json"
RECORDS = 5000
KILL_AFTER = 1500  # records processed when the worker is killed
RECOVERED_WITHIN = 120  # seconds, from the kill to the finished run
STATUSES = ("Open", "Closed")
SERVICES = (("024", "Sidewalk_Cleaning"), ("033", "Abandoned Vehicle"), ("049", "Graffiti"))


def sf_requests(count: int) -> list[dict]:
    """Requests shaped like tests/data/open311_sf_2011_requests (naive local dates, numbers as
    stored by the dashboard), one a minute from 27 June 2011, spread over San Francisco."""
    start = datetime(2011, 6, 27, 0, 0)
    records = []
    for i in range(count):
        code, name = SERVICES[i % len(SERVICES)]
        requested = start + timedelta(minutes=i)
        records.append(
            {
                "service_request_id": str(900_000 + i),
                "status": STATUSES[i % 2],
                "status_notes": None,
                "service_name": name,
                "service_code": code,
                "description": f"Generated request {i}",
                "agency_responsible": None,
                "service_notice": None,
                "requested_datetime": requested.strftime("%Y-%m-%d %H:%M:%S"),
                "updated_datetime": (requested + timedelta(hours=4)).strftime("%Y-%m-%d %H:%M:%S"),
                "expected_datetime": None,
                "address": f"{100 + i % 900}  MARKET ST SAN FRANCISCO , CA ",
                "address_id": None,
                "zipcode": 94103,
                "lat": round(37.70 + (i % 97) * 0.001, 6),
                "long": round(-122.50 + (i % 89) * 0.001, 6),
                "media_url": None,
            }
        )
    return records


@pytest.fixture
def workers(django_db_setup, tmp_path: Path) -> Iterator[list]:
    """Two real workers on the test database and this suite's broker."""
    purge_broker()
    env = worker_env(KOBAN_SYNC_HEARTBEAT_SECONDS="1")
    started = []
    try:
        for name in ("recovery-a", "recovery-b"):
            started.append(start_worker(tmp_path / f"{name}.log", name, env))
        yield started
    finally:
        for worker in started:
            stop_worker(worker)


@pytest.fixture
def big_source(feed, make_source):
    feed.serve(REQUESTS, sf_requests(RECORDS))
    return make_source(config=open311_config(feed))


def _running_past(run: SyncRun, processed: int) -> SyncRun | None:
    run.refresh_from_db()
    assert run.status in SyncRun.ACTIVE, (run.status, run.error)
    return run if run.status == "running" and run.processed >= processed else None


def _kill_mid_run(run: SyncRun, workers: list, *, whole_worker: bool) -> tuple[SyncRun, int]:
    """SIGKILL the process running `run` (or its whole worker) once it is well under way."""
    during = wait_for(lambda: _running_past(run, KILL_AFTER), 90, "the run to be well under way")
    victim = during.worker_pid
    assert victim and victim != os.getpid()
    (worker,) = [w for w in workers if os.getpgid(victim) == w.pid]
    if whole_worker:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
    else:
        os.kill(victim, signal.SIGKILL)
    return during, victim


def _forget_unacked(task_id: str) -> None:
    """Drop the killed worker's unacknowledged message from the broker: Redis would hand it
    out again after the visibility timeout, hours later, to whatever worker is then running."""
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    for tag, message in broker.hgetall("unacked").items():
        if json.loads(message)[0]["headers"]["id"] == task_id:
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)


def _assert_imported_exactly_once(run: SyncRun) -> None:
    incidents = Incident.objects.filter(source="sf311")
    assert incidents.count() == RECORDS
    assert incidents.values("external_id").distinct().count() == RECORDS
    assert not incidents.annotate(n=Count("timeline")).exclude(n=1).exists()
    assert set(incidents.values_list("timeline__kind", flat=True)) == {TimelineEntry.Kind.IMPORTED}
    events = OutboxEvent.objects.filter(kind="incident.upserted", entity_type="incident")
    assert events.count() == RECORDS
    assert events.values("entity_id").distinct().count() == RECORDS
    assert (run.fetched, run.processed, run.created + run.unchanged) == (RECORDS,) * 3


def test_a_killed_child_is_replaced_and_the_redelivered_task_takes_the_run_over(
    workers, big_source
):
    run, _ = services.run_now(source=big_source)
    during, victim = _kill_mid_run(run, workers, whole_worker=False)
    killed_at = time.monotonic()

    done = wait_for(
        lambda: SyncRun.objects.filter(pk=run.pk, status__in=SyncRun.FINISHED).first(),
        RECOVERED_WITHIN,
        "the run to recover by itself",
    )

    assert time.monotonic() - killed_at < RECOVERED_WITHIN
    assert (done.status, done.recoveries, done.attempts) == ("succeeded", 1, 2), done.notes
    assert done.worker_pid != victim
    assert f"({during.holder}) stopped without finishing" in done.notes
    assert done.unchanged >= KILL_AFTER  # what the dead child wrote was not written twice
    _assert_imported_exactly_once(done)


def test_a_whole_worker_killed_mid_run_is_recovered_by_the_reconciler_and_the_other_worker(
    workers, big_source
):
    from koban.celery import app

    run, _ = services.run_now(source=big_source)
    during, victim = _kill_mid_run(run, workers, whole_worker=True)
    killed_at = time.monotonic()
    _forget_unacked(during.task_id)  # so only the reconciler can bring the run back

    def reconciled_and_finished() -> SyncRun | None:
        # What beat sends every minute (integrations.setup), sent here every two seconds.
        app.send_task("integrations.sync_runs_reconcile", expires=60)
        time.sleep(2)
        return SyncRun.objects.filter(pk=run.pk, status__in=SyncRun.FINISHED).first()

    done = wait_for(reconciled_and_finished, RECOVERED_WITHIN, "the run to recover by itself")

    assert time.monotonic() - killed_at < RECOVERED_WITHIN
    assert (done.status, done.recoveries, done.attempts) == ("succeeded", 1, 2), done.notes
    survivor = next(w for w in workers if w.poll() is None)
    assert os.getpgid(done.worker_pid) == survivor.pid and done.worker_pid != victim
    assert f"its worker ({during.holder}) is gone" in done.notes
    assert done.unchanged >= KILL_AFTER
    _assert_imported_exactly_once(done)
