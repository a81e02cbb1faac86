"""Outbox retention: old rows go, the newest always stays, and celery beat runs the pruning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from incidents import services
from incidents.models import OutboxEvent
from incidents.services.outbox import outbox_prune
from incidents.setup import ensure_outbox_prune_schedule
from incidents.tasks import outbox_prune_task

pytestmark = pytest.mark.django_db


def _events(count: int, age_hours: float) -> list[int]:
    ids = []
    for _ in range(count):
        ids.append(services.incident_create(category="noise", title="x").pk)
    rows = OutboxEvent.objects.filter(entity_id__in=ids)
    rows.update(created_at=timezone.now() - timedelta(hours=age_hours))
    return list(rows.values_list("id", flat=True))


def test_rows_past_retention_are_deleted_and_recent_ones_kept(settings):
    settings.KOBAN_OUTBOX_RETENTION_HOURS = 72
    old = _events(3, age_hours=100)
    recent = _events(2, age_hours=1)
    assert outbox_prune(batch_size=2) == 3
    assert sorted(OutboxEvent.objects.values_list("id", flat=True)) == sorted(recent)
    assert not OutboxEvent.objects.filter(id__in=old).exists()


def test_the_newest_row_stays_even_when_everything_is_old():
    ids = _events(3, age_hours=1000)
    assert outbox_prune_task() == 2
    assert list(OutboxEvent.objects.values_list("id", flat=True)) == [max(ids)]
    assert outbox_prune() == 0


def test_celery_beat_prunes_hourly_and_set_up_is_idempotent():
    ensure_outbox_prune_schedule()
    ensure_outbox_prune_schedule()
    task = PeriodicTask.objects.get(task=outbox_prune_task.name)
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (1, IntervalSchedule.HOURS)
    assert PeriodicTask.objects.filter(task=outbox_prune_task.name).count() == 1
