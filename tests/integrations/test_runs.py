"""Runs: never two of one source at once, a dead worker's run is taken over, nothing is done
twice when a task is delivered twice."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.errors import InvalidInput
from integrations import services
from integrations.models import SyncRun

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


def test_a_run_delivered_twice_is_executed_once(source, feed):
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    SyncRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=timezone.now())

    assert services.run_execute(run_id=run.pk) is None
    assert feed.count(REQUESTS) == 0
    assert SyncRun.objects.get(pk=run.pk).status == "running"


def test_the_run_of_a_worker_that_died_is_taken_over(source, feed, settings):
    run, _ = services.run_create(source=source, trigger="manual", enqueue=False)
    long_ago = timezone.now() - timedelta(seconds=settings.KOBAN_SYNC_TIME_LIMIT + 120)
    SyncRun.objects.filter(pk=run.pk).update(status="running", heartbeat_at=long_ago)

    fresh, created = services.run_create(source=source, trigger="manual", enqueue=False)

    assert created and fresh.pk != run.pk
    dead = SyncRun.objects.get(pk=run.pk)
    assert dead.status == "failed"
    assert "stopped without finishing" in dead.error
    assert services.run_execute(run_id=fresh.pk).status == "succeeded"


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
