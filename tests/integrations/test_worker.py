"""Runs in a real Celery worker process started by the test, on the test database and this
suite's Redis database: a scheduled run (sent as beat sends it), retries of HTTP 500 with
backoff, live progress read while the worker runs, and the soft time limit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from incidents.models import Incident
from integrations import services
from integrations.models import SyncRun
from tests.live.helpers import subprocess_database_url

from .conftest import LOOPBACK_NETWORKS, SF_REQUESTS, open311_config
from .test_adapters import POIS, geojson_config

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = "/open311/v2/requests.json"
WORKER_RETRIES = 2


def worker_env(**extra: str) -> dict[str, str]:
    """The environment of a worker on the test database and this suite's broker."""
    env = {
        **os.environ,
        "DATABASE_URL": subprocess_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "KOBAN_SYNC_MAX_RETRIES": str(WORKER_RETRIES),
        "KOBAN_SYNC_RETRY_BACKOFF": "1",
        "KOBAN_SOURCES_ALLOWED_NETWORKS": ",".join(LOOPBACK_NETWORKS),
        "DJANGO_SETTINGS_MODULE": "koban.settings",
        **extra,
    }
    env.pop("KOBAN_TEST_DB", None)
    return env


def start_worker(log: Path, name: str, env: dict[str, str]) -> subprocess.Popen:
    """`celery -A koban worker` (one child process), in a process group of its own so a test
    can kill it whole; returns once it is ready."""
    with log.open("w") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "koban",
                "worker",
                "--loglevel=INFO",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{name}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while "ready." not in log.read_text():
        if worker.poll() is not None or time.monotonic() > deadline:
            stop_worker(worker)
            raise AssertionError("worker did not start:\n" + log.read_text())
        time.sleep(0.2)
    return worker


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGQUIT)  # cold shutdown: the tests are done with it
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def purge_broker() -> None:
    from koban.celery import app

    if not settings.CELERY_BROKER_URL.rstrip("/").endswith("/0"):
        app.control.purge()  # leftovers of earlier runs of this suite, on its own Redis db


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Path]:
    """`celery -A koban worker` on the test database and this suite's broker."""
    purge_broker()
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    worker = start_worker(log, "integrations-test", worker_env())
    try:
        yield log
    finally:
        stop_worker(worker)


def wait_for(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def finished_run(source) -> SyncRun | None:
    return SyncRun.objects.filter(source=source, status__in=SyncRun.FINISHED).first()


pytestmark = pytest.mark.django_db(transaction=True)


def test_a_scheduled_run_executes_in_a_real_celery_worker(celery_worker, feed, make_source):
    from koban.celery import app

    feed.serve(REQUESTS, json.loads(SF_REQUESTS.read_bytes())[:25])
    source = make_source(config=open311_config(feed), schedule="60")
    task = PeriodicTask.objects.get(pk=source.periodic_task_id)

    # What beat does when the entry is due.
    app.send_task(task.task, args=json.loads(task.args), kwargs=json.loads(task.kwargs))

    run = wait_for(lambda: finished_run(source), what="the scheduled run")
    assert (run.trigger, run.status, run.created, run.attempts) == ("schedule", "succeeded", 25, 1)
    assert Incident.objects.filter(source="sf311").count() == 25
    assert feed.count(REQUESTS) == 1


def test_http_500_is_retried_by_the_worker_with_backoff_then_the_run_fails(
    celery_worker, feed, make_source
):
    feed.serve(
        REQUESTS, b"<h1>500 Internal Server Error</h1>", status=500, content_type="text/html"
    )
    source = make_source(config=open311_config(feed))

    run, _ = services.run_now(source=source)

    run = wait_for(lambda: finished_run(source), what="the failed run")
    assert (run.status, run.attempts) == ("failed", WORKER_RETRIES + 1)
    assert feed.count(REQUESTS) == WORKER_RETRIES + 1
    assert "HTTP 500 from" in run.error and "(Internal Server Error)" in run.error
    assert "<h1>" not in run.error  # the remote's body is never shown
    assert "Gave up after 3 attempt(s)" in run.error
    assert not Incident.objects.exists()
    source.refresh_from_db()
    assert source.cursor == {}


def test_progress_is_readable_while_the_worker_runs(
    celery_worker, feed, make_source, client, make_user
):
    features = json.loads(POIS.read_bytes())["features"]

    def slow_items(hit):
        offset = int(hit.query.get("offset", ["0"])[0])
        time.sleep(0.6)
        page = features[offset : offset + 30]
        links = []
        if offset + 30 < len(features):
            links.append({"rel": "next", "href": f"?limit=30&offset={offset + 30}"})
        body = {"type": "FeatureCollection", "features": page, "links": links}
        return 200, {"Content-Type": "application/geo+json"}, json.dumps(body).encode()

    feed.route("/ogc/collections/police/items", slow_items)
    source = make_source("police-points", "geojson", {**geojson_config(feed), "limit": 30})
    client.force_login(make_user("tecnico", "Integrator"))

    run, _ = services.run_now(source=source)
    url = reverse("integrations:run-progress", args=[run.pk])
    seen: list[tuple[str, int]] = []
    holders: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress = client.get(url).json()
        seen.append((progress["status"], progress["processed"]))
        if progress["status"] == "running":
            holders.add(progress["holder"])
            assert progress["heartbeat_at"]
        if not progress["active"]:
            break
        time.sleep(0.2)

    assert seen[-1] == ("succeeded", 90)
    during = {processed for status, processed in seen if status == "running"}
    assert any(0 < processed < 90 for processed in during), seen
    # Who runs it: the worker's Celery name and its child's process id (not this process).
    (holder,) = holders
    assert holder.startswith("integrations-test-") and f"process {os.getpid()}" not in holder


def test_a_run_past_its_soft_time_limit_stops_with_a_readable_error(
    celery_worker, feed, make_source
):
    from integrations.tasks import sync_run

    def hanging(hit):
        time.sleep(4)
        return 200, {"Content-Type": "application/json"}, b"[]"

    feed.route(REQUESTS, hanging)
    source = make_source(config=open311_config(feed))
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)

    sync_run.apply_async(args=[run.pk], soft_time_limit=1, time_limit=30)

    run = wait_for(lambda: finished_run(source), what="the stopped run")
    assert run.status == "failed"
    assert run.error.startswith("Stopped: the run went past its time limit")
    assert run.finished_at - run.started_at < timedelta(seconds=3.5)  # did not wait it out
