"""Sources: invalid configurations refused with field messages (form, API, apply_sources),
YAML files applied all-or-nothing and idempotently, beat schedules kept in step, commands."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from incidents.errors import InvalidInput
from incidents.models import Incident
from integrations import services
from integrations.models import Source

from .conftest import SF_REQUESTS, open311_config

pytestmark = pytest.mark.django_db

BAD_CONFIG = {
    "endpoint": "ftp://example.org/open311",
    "format": "csv",
    "service_categories": {"024": "no_such_category"},
    "api_key_env": "sk_live 123",
    "endpiont": "typo",
}
EXPECTED = {
    "config.endpoint": ["Must be an http:// or https:// URL with a host."],
    "config.format": ["Input should be 'json' or 'xml'"],
    "config.api_key_env": [
        "Must be the NAME of an environment variable starting with KOBAN_SECRET_ (capital "
        "letters, digits, _; e.g. KOBAN_SECRET_SF311_API_KEY), never the secret itself."
    ],
    "config.endpiont": ["Unknown key: this adapter has no such setting."],
}


def test_the_service_refuses_an_invalid_configuration_naming_each_key():
    with pytest.raises(InvalidInput) as refused:
        services.source_create(name="sf311", adapter="open311", config=BAD_CONFIG)
    assert refused.value.errors == EXPECTED
    with pytest.raises(InvalidInput) as refused:
        services.source_create(
            name="Bad Name!",
            adapter="open311",
            config={**open311_config_stub(), "service_categories": {"024": "nope"}},
            schedule="every now and then",
        )
    errors = refused.value.errors
    assert errors["name"][0].startswith("Use 1-64 lower-case letters")
    assert errors["schedule"] == [
        'Use a number of seconds ("900") or a crontab of five fields ("*/15 * * * *").'
    ]
    assert errors["config.service_categories.024"][0].startswith("Unknown category 'nope'")
    assert not Source.objects.exists()


def open311_config_stub() -> dict:
    return {
        "endpoint": "https://city.example/open311/v2",
        "service_categories": {"default": "other"},
    }


def test_the_api_answers_400_with_field_messages_and_creates_nothing(client, integrator):
    client.force_login(integrator)
    response = client.post(
        reverse("integrations-api:sources"),
        {"name": "sf311", "adapter": "open311", "config": BAD_CONFIG},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == EXPECTED
    response = client.post(
        reverse("integrations-api:sources"),
        {"name": "x", "adapter": "telepathy", "config": {}},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["adapter"][0].startswith("Unknown adapter 'telepathy'; known: avl, csv")
    assert not Source.objects.exists()


def test_the_form_shows_each_message_on_its_input_and_saves_nothing(client, integrator):
    client.force_login(integrator)
    response = client.post(
        reverse("integrations:source-new") + "?adapter=open311",
        {
            "name": "sf311",
            "cfg__endpoint": "ftp://example.org/open311",
            "cfg__format": "json",
            "cfg__service_categories": "'024': no_such_category\n",
            "cfg__status_map": "open: [unclosed",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["cfg__endpoint"] == ["Must be an http:// or https:// URL with a host."]
    assert form.errors["cfg__status_map"][0].startswith("Not valid YAML")
    assert not Source.objects.exists()
    body = response.content.decode()
    assert "Must be an http:// or https:// URL with a host." in body

    response = client.post(
        reverse("integrations:source-new") + "?adapter=open311",
        {
            "name": "sf311",
            "cfg__endpoint": "https://city.example/open311/v2",
            "cfg__service_categories": "'024': no_such_category\n",
        },
    )
    assert response.status_code == 400
    assert (
        response.context["form"]
        .errors["cfg__service_categories"][0]
        .startswith("024: Unknown category 'no_such_category'")
    )


def test_the_form_is_generated_from_the_schema_and_saves_a_valid_source(client, integrator):
    client.force_login(integrator)
    page = client.get(reverse("integrations:source-new") + "?adapter=open311")
    assert page.status_code == 200
    fields = page.context["form"].fields
    assert {"cfg__endpoint", "cfg__format", "cfg__service_categories", "cfg__window"} <= set(fields)
    assert [c for c, _ in fields["cfg__format"].choices] == ["", "json", "xml"]

    response = client.post(
        reverse("integrations:source-new") + "?adapter=open311",
        {
            "name": "sf311",
            "description": "San Francisco 311",
            "schedule": "*/15 * * * *",
            "enabled": "on",
            "cfg__endpoint": "https://city.example/open311/v2",
            "cfg__format": "xml",
            "cfg__service_categories": "'024': public_space\ndefault: other\n",
            "cfg__timezone": "America/Los_Angeles",
        },
    )
    source = Source.objects.get(name="sf311")
    assert response.status_code == 302
    assert response.url == reverse("integrations:source", args=[source.pk])
    assert source.config == {
        "endpoint": "https://city.example/open311/v2",
        "format": "xml",
        "service_categories": {"024": "public_space", "default": "other"},
        "timezone": "America/Los_Angeles",
    }
    task = PeriodicTask.objects.get(pk=source.periodic_task_id)
    assert (task.task, json.loads(task.args), task.enabled) == (
        "integrations.sync_source_scheduled",
        [source.pk],
        True,
    )
    assert (task.crontab.minute, task.crontab.hour, task.interval) == ("*/15", "*", None)

    edit = client.get(reverse("integrations:source-edit", args=[source.pk]))
    assert edit.context["form"].initial["cfg__service_categories"] == (
        "'024': public_space\ndefault: other"
    )


def ours():
    return PeriodicTask.objects.filter(task="integrations.sync_source_scheduled")


def test_the_beat_entry_follows_the_schedule_and_the_enabled_flag():
    source = services.source_create(
        name="sf311", adapter="open311", config=open311_config_stub(), schedule="600"
    )
    task = PeriodicTask.objects.get(pk=source.periodic_task_id)
    assert (task.interval.every, task.interval.period, task.enabled) == (600, "seconds", True)

    source, changed = services.source_update(source=source, enabled=False)
    task.refresh_from_db()
    assert changed and not task.enabled

    services.source_update(source=source, schedule="")
    assert not ours().exists()
    source.refresh_from_db()
    assert source.periodic_task is None

    services.source_update(source=source, schedule="60")
    assert ours().count() == 1
    services.source_delete(source=Source.objects.get(pk=source.pk))
    assert not ours().exists()


SOURCES_YAML = """
sources:
  - name: sf311
    adapter: open311
    description: San Francisco 311
    schedule: "900"
    config:
      endpoint: https://city.example/open311/v2
      service_categories: {"024": public_space, default: other}
      timezone: America/Los_Angeles
  - name: police-points
    adapter: geojson
    enabled: false
    config:
      url: https://dados.cm-lisboa.pt/police.geojson
      fields: {external_id: GlobalID, title: "{NOME}"}
      categories: {default: public_order}
"""


def test_apply_sources_creates_then_is_idempotent_and_export_round_trips(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES_YAML)
    out = StringIO()

    call_command("apply_sources", str(path), stdout=out)

    assert "2 created, 0 updated, 0 unchanged." in out.getvalue()
    assert Source.objects.get(name="police-points").enabled is False
    assert ours().count() == 1

    out = StringIO()
    call_command("apply_sources", str(path), stdout=out)
    assert "0 created, 0 updated, 2 unchanged." in out.getvalue()

    exported = StringIO()
    call_command("export_sources", stdout=exported)
    again = tmp_path / "exported.yaml"
    again.write_text(exported.getvalue())
    out = StringIO()
    call_command("apply_sources", str(again), stdout=out)
    assert "2 unchanged" in out.getvalue()
    assert "police-points" in exported.getvalue() and "api_key" not in exported.getvalue()

    path.write_text(SOURCES_YAML.replace('schedule: "900"', 'schedule: "1800"'))
    out = StringIO()
    call_command("apply_sources", str(path), stdout=out)
    assert "updated: sf311" in out.getvalue()
    assert ours().get().interval.every == 1800


def test_apply_sources_refuses_the_whole_file_with_a_message_per_bad_entry(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        SOURCES_YAML
        + """
  - name: tracker
    adapter: avl
    colour: blue
    config:
      url: not a url
      speed_unit: furlongs per fortnight
  - name: sf311
    adapter: open311
    config: {}
"""
    )

    with pytest.raises(CommandError) as refused:
        call_command("apply_sources", str(path))

    message = str(refused.value)
    assert "was not applied" in message
    assert "tracker (entry 3): colour: Unknown key" in message
    assert "tracker (entry 3): config.url: Must be an http:// or https:// URL" in message
    assert "tracker (entry 3): config.speed_unit: Input should be 'km/h', 'm/s' or 'mph'" in message
    assert "sf311 (entry 4): name: 'sf311' appears twice in the file." in message
    assert "sf311 (entry 4): config.endpoint: This key is required." in message
    assert not Source.objects.exists()


def test_sync_source_runs_in_process_and_reports_counts(feed, make_source):
    records = json.loads(SF_REQUESTS.read_bytes())[:20]
    feed.serve("/open311/v2/requests.json", records)
    make_source(config=open311_config(feed))
    out = StringIO()

    call_command("sync_source", "sf311", stdout=out)

    assert "succeeded (fetched 20, processed 20, created 20" in out.getvalue()
    assert Incident.objects.count() == 20
    with pytest.raises(CommandError, match="No source named 'nope'"):
        call_command("sync_source", "nope")


def test_sync_source_fails_loudly_when_the_run_fails(feed, make_source):
    feed.serve("/open311/v2/requests.json", b"Service Unavailable", status=503)
    make_source(config=open311_config(feed))
    with pytest.raises(CommandError, match=r"failed .* HTTP 503 from .*Service Unavailable"):
        call_command("sync_source", "sf311")
