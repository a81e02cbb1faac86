"""The Celery app: configured from Django settings (CELERY_* keys), tasks found per app."""

from __future__ import annotations

import os
from typing import Any

import pghistory
from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koban.settings")

app = Celery("koban")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# The change history's context for writes made by a task (pghistory triggers read it): which
# task, which run of it. Not a business rule: the record of who changed what.
_contexts: dict[str, Any] = {}


@task_prerun.connect
def _history_context_enter(task_id: str = "", task: Any = None, **_: Any) -> None:
    context = pghistory.context(task=getattr(task, "name", ""), task_id=task_id)
    context.__enter__()
    _contexts[task_id] = context


@task_postrun.connect
def _history_context_exit(task_id: str = "", **_: Any) -> None:
    context = _contexts.pop(task_id, None)
    if context is not None:
        context.__exit__(None, None, None)
