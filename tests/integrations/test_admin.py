"""The admin writes sources through the services: the same validation, the same beat entry."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from integrations.models import Source
from tests.conftest import force_login_verified

pytestmark = pytest.mark.django_db


def _form(config: dict, **extra) -> dict:
    return {
        "name": "sf311",
        "adapter": "open311",
        "description": "",
        "config": json.dumps(config),
        "schedule": "300",
        "enabled": "on",
        **extra,
    }


def test_admin_refuses_an_invalid_source_with_field_messages_and_saves_a_valid_one(
    client, django_user_model
):
    force_login_verified(client, django_user_model.objects.create_superuser("root", password="x"))
    url = reverse("admin:integrations_source_add")

    refused = client.post(url, _form({"endpoint": "gopher://x", "service_categories": {}}))

    assert refused.status_code == 200
    errors = refused.context["adminform"].form.errors["config"]
    assert "config.endpoint: Must be an http:// or https:// URL with a host." in errors
    assert not Source.objects.exists()

    good = {"endpoint": "https://city.example/v2", "service_categories": {"default": "other"}}
    saved = client.post(url, _form(good))

    assert saved.status_code == 302
    source = Source.objects.get(name="sf311")
    assert source.config == good
    task = PeriodicTask.objects.get(pk=source.periodic_task_id)
    assert task.interval.every == 300
    assert client.get(reverse("admin:integrations_syncrun_changelist")).status_code == 200
    assert client.get(reverse("admin:integrations_rejectedrecord_changelist")).status_code == 200
