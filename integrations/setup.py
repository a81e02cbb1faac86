"""Rows every database needs (run after each migrate): beat's entry that recovers sync runs."""

from __future__ import annotations

from typing import Any

RECONCILE_TASK_NAME = "Recover sync runs (worker died, task lost)"
RECONCILE_EVERY_SECONDS = 60


def ensure_reconcile_schedule(**_: Any) -> None:
    """Beat sends `integrations.sync_runs_reconcile` every minute; a tick no worker took
    within the minute expires instead of piling up behind a long sync."""
    from django.db import connection
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connection.introspection.table_names():
        return  # django_celery_beat not migrated yet; the next migrate adds the schedule
    every = IntervalSchedule.objects.filter(
        every=RECONCILE_EVERY_SECONDS, period=IntervalSchedule.SECONDS
    ).first() or IntervalSchedule.objects.create(
        every=RECONCILE_EVERY_SECONDS, period=IntervalSchedule.SECONDS
    )
    PeriodicTask.objects.update_or_create(
        name=RECONCILE_TASK_NAME,
        defaults={
            "task": "integrations.sync_runs_reconcile",
            "interval": every,
            "crontab": None,
            "expire_seconds": RECONCILE_EVERY_SECONDS,
            "enabled": True,
            "description": "Re-queues sync runs whose worker died or whose task was lost.",
        },
    )


def ensure_rejected_prune_schedule(**_: Any) -> None:
    """Beat deletes rejected records past KOBAN_REJECTED_RETENTION_DAYS every night."""
    from django.db import connection
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    if PeriodicTask._meta.db_table not in connection.introspection.table_names():
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.update_or_create(
        name="Delete rejected records past retention",
        defaults={"task": "integrations.rejected_prune", "crontab": crontab, "interval": None},
    )
