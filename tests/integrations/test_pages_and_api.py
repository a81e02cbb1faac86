"""IT staff pages and the integrations API: who may use them, and what they show and do."""

from __future__ import annotations

import json
import os

import pytest
from django.urls import reverse

from incidents.models import Incident, OutboxEvent, TimelineEntry
from integrations import services
from integrations.models import RejectedRecord, Source, SyncRun
from tests.conftest import force_login_verified

from .conftest import DATA, SF_REQUESTS, open311_config

pytestmark = pytest.mark.django_db

REQUESTS = "/open311/v2/requests.json"


@pytest.fixture
def source(feed, make_source):
    records = json.loads(SF_REQUESTS.read_bytes())[:12]
    records[3]["service_code"] = "999"
    feed.serve(REQUESTS, records)
    categories = {r["service_code"]: "other" for r in records if r["service_code"] != "999"}
    return make_source(config=open311_config(feed, service_categories=categories))


def _pages(source: Source, run: SyncRun, record: RejectedRecord) -> list[tuple[str, str]]:
    return [
        ("get", reverse("integrations:sources")),
        ("get", reverse("integrations:source-new")),
        ("get", reverse("integrations:source-new") + "?adapter=csv"),
        ("get", reverse("integrations:source", args=[source.pk])),
        ("get", reverse("integrations:source-edit", args=[source.pk])),
        ("get", reverse("integrations:run", args=[run.pk])),
        ("get", reverse("integrations:run-progress", args=[run.pk])),
        ("get", reverse("integrations-api:adapters")),
        ("get", reverse("integrations-api:sources")),
        ("get", reverse("integrations-api:source", args=[source.pk])),
        ("get", reverse("integrations-api:source-runs", args=[source.pk])),
        ("get", reverse("integrations-api:run", args=[run.pk])),
        ("get", reverse("integrations-api:rejected") + f"?source={source.pk}&status=open"),
    ]


def test_only_integrators_and_administrators_reach_pages_and_api(
    client, source, run_sync, make_user
):
    run = run_sync(source)
    record = RejectedRecord.objects.get()
    users = {
        "anonymous": None,
        "officer": make_user("agente", "Officer"),
        "supervisor": make_user("chefe", "Supervisor"),
        "integrator": make_user("tecnico", "Integrator"),
        "admin": make_user("admin1", "Administrator"),
    }
    for role, user in users.items():
        client.logout()
        if role == "admin":
            force_login_verified(client, user)
        elif user is not None:
            client.force_login(user)
        allowed = role in ("integrator", "admin")

        for method, url in _pages(source, run, record):
            response = getattr(client, method)(url)
            if allowed:
                assert response.status_code == 200, (role, url)
            elif role == "anonymous" and not url.startswith("/api/"):
                assert response.status_code == 302 and "/login/" in response.url, url
            else:
                assert response.status_code in (401, 403), (role, url)

        if not allowed:
            for url in (
                reverse("integrations:source-run", args=[source.pk]),
                reverse("integrations:rejected-dismiss", args=[record.pk]),
                reverse("integrations-api:source-run", args=[source.pk]),
                reverse("integrations-api:rejected-dismiss", args=[record.pk]),
                reverse("integrations-api:sources"),
            ):
                assert client.post(url).status_code in (302, 401, 403), (role, url)
            assert SyncRun.objects.count() == 1
            assert RejectedRecord.objects.get().status == "open"


def test_sources_page_shows_last_run_status_counts_and_open_rejections(
    client, integrator, source, run_sync
):
    run = run_sync(source)
    client.force_login(integrator)

    page = client.get(reverse("integrations:sources")).content.decode()

    assert "sf311" in page
    assert "Succeeded with rejected records" in page
    assert f'data-progress-url="{reverse("integrations:run-progress", args=[run.pk])}"' in page
    assert '<td class="num" data-field="created">11</td>' in page
    assert '<td class="num" data-field="rejected">1</td>' in page
    progress = client.get(reverse("integrations:run-progress", args=[run.pk])).json()
    assert progress["holder"].endswith(f", process {os.getpid()}")  # run here, in-process
    moments = {"started_at": None, "finished_at": None, "heartbeat_at": None, "holder": ""}
    assert progress | moments == {
        "id": run.pk,
        "status": "partial",
        "status_label": "Succeeded with rejected records",
        "active": False,
        "error": "",
        "fetched": 12,
        "processed": 12,
        "created": 11,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "rejected": 1,
        "not_located": 0,
        "started_at": None,
        "finished_at": None,
        "heartbeat_at": None,
        "holder": "",
        "attempts": 1,
        "notes": "",
    }


def _counts() -> tuple[int, ...]:
    return (
        Incident.objects.count(),
        SyncRun.objects.count(),
        RejectedRecord.objects.count(),
        OutboxEvent.objects.count(),
        TimelineEntry.objects.count(),
    )


def test_test_connection_shows_the_first_records_as_mapped_and_writes_nothing(
    client, integrator, source, feed
):
    services_list = DATA / "open311_helsinki_service_definitions" / "services_en.json"
    feed.serve_file("/open311/v2/services.json", services_list)
    client.force_login(integrator)
    before = _counts()

    api = client.post(
        reverse("integrations-api:source-test-connection", args=[source.pk]),
        {"limit": 5},
        content_type="application/json",
    )
    page = client.post(reverse("integrations:source-test", args=[source.pk]))
    unsaved = client.post(
        reverse("integrations:source-new") + "?adapter=open311",
        {
            "action": "test",
            "name": "draft",
            "cfg__endpoint": feed.url("/open311/v2"),
            "cfg__service_categories": "default: noise",
        },
    )

    assert _counts() == before
    assert not Source.objects.filter(name="draft").exists()
    body = api.json()
    assert body["ok"] is True
    assert body["message"].startswith("15 service types offered")
    assert len(body["records"]) == 5
    assert body["records"][0]["mapped"]["external_id"] == "909119"
    assert body["records"][0]["mapped"]["category"] == "other"
    assert body["records"][3]["error"] == (
        "service_code '999' is not in service_categories (and service_categories has no 'default')."
    )
    assert "Would be rejected:" in page.content.decode()
    assert unsaved.status_code == 200
    assert "Connected." in unsaved.content.decode()
    assert unsaved.context["dry_run"].records[3]["mapped"]["category"] == "noise"


def test_test_connection_reports_an_unreachable_system_readably(client, integrator, feed):
    client.force_login(integrator)
    response = client.post(
        reverse("integrations-api:test-connection"),
        {"adapter": "open311", "config": open311_config(feed)},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert response.json()["message"].startswith("HTTP 404 from")


def test_api_run_now_runs_once_and_returns_the_active_run_instead_of_a_second(
    client, integrator, source, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(integrator)
    queued, _ = services.run_create(source=source, trigger="manual", enqueue=False)

    same = client.post(reverse("integrations-api:source-run", args=[source.pk]))

    assert (same.status_code, same.json()["id"]) == (202, queued.pk)
    assert SyncRun.objects.count() == 1
    services.run_execute(run_id=queued.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("integrations-api:source-run", args=[source.pk]))

    assert response.status_code == 202
    run = SyncRun.objects.get(pk=response.json()["id"])
    assert (run.status, run.trigger, run.requested_by) == ("partial", "manual", integrator)
    assert (run.created, run.unchanged, run.rejected) == (0, 11, 1)
    detail = client.get(reverse("integrations-api:run", args=[run.pk])).json()
    assert (detail["status"], detail["requested_by"], detail["unchanged"]) == (
        "partial",
        "tecnico",
        11,
    )


def test_api_replay_is_refused_until_the_mapping_is_fixed_then_imports(
    client, integrator, source, run_sync
):
    run_sync(source)
    client.force_login(integrator)
    record = RejectedRecord.objects.get()
    listed = client.get(reverse("integrations-api:rejected") + "?status=open").json()
    assert [r["id"] for r in listed["results"]] == [record.pk]
    assert listed["results"][0]["reason"].startswith("service_code '999'")

    refused = client.post(reverse("integrations-api:rejected-replay", args=[record.pk]))
    assert refused.status_code == 400
    assert refused.json()["payload"][0].startswith("Still refused: service_code '999'")

    fixed = {**source.config, "service_categories": {"default": "noise"}}
    patched = client.patch(
        reverse("integrations-api:source", args=[source.pk]),
        {"config": fixed},
        content_type="application/json",
    )
    assert patched.status_code == 200
    replayed = client.post(reverse("integrations-api:rejected-replay", args=[record.pk]))

    assert replayed.status_code == 200
    assert replayed.json()["outcome"] == "created"
    assert replayed.json()["record"]["status"] == "replayed"
    assert replayed.json()["record"]["resolved_by"] == "tecnico"
    assert Incident.objects.filter(external_id=record.external_id, category__code="noise").exists()
    again = client.post(reverse("integrations-api:rejected-dismiss", args=[record.pk]))
    assert again.status_code == 400


def test_api_source_crud_keeps_the_name_and_validates_changes(client, administrator, feed):
    force_login_verified(client, administrator)
    created = client.post(
        reverse("integrations-api:sources"),
        {"name": "sf311", "adapter": "open311", "config": open311_config(feed), "schedule": "60"},
        content_type="application/json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    url = reverse("integrations-api:source", args=[pk])

    bad = client.patch(url, {"config": {"endpoint": "nope"}}, content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["config.endpoint"] == ["Must be an http:// or https:// URL with a host."]
    assert bad.json()["config.service_categories"] == ["This key is required."]
    renamed = client.put(
        url,
        {"name": "other", "adapter": "open311", "config": open311_config(feed)},
        content_type="application/json",
    )
    assert renamed.status_code == 400 and "name" in renamed.json()
    assert client.get(reverse("integrations-api:sources")).json()[0]["last_run"] is None
    adapters = client.get(reverse("integrations-api:adapters")).json()
    open311 = next(a for a in adapters if a["kind"] == "open311")
    assert "endpoint" in open311["schema"]["properties"]
    assert client.delete(url).status_code == 204
    assert not Source.objects.exists()


def test_pages_replay_and_dismiss_rejected_records(client, integrator, source, run_sync):
    run_sync(source)
    client.force_login(integrator)
    record = RejectedRecord.objects.get()
    detail = client.get(reverse("integrations:source", args=[source.pk])).content.decode()
    assert "service_code &#x27;999&#x27; is not in service_categories" in detail

    response = client.post(reverse("integrations:rejected-dismiss", args=[record.pk]))

    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.status, record.resolved_by) == ("dismissed", integrator)


def test_upload_and_run_from_the_page(
    client, integrator, make_source, eager_celery, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .test_adapters import sfpd_config, sfpd_rows

    source = make_source("sfpd", "csv", sfpd_config(latlon="Location"))
    client.force_login(integrator)
    upload = SimpleUploadedFile("sfpd.csv", sfpd_rows(8), content_type="text/csv")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("integrations:source-run", args=[source.pk]), {"file": upload}
        )

    run = SyncRun.objects.get()
    assert response.url == reverse("integrations:run", args=[run.pk])
    run.refresh_from_db()
    assert (run.trigger, run.upload_name, run.status, run.created) == (
        "upload",
        "sfpd.csv",
        "succeeded",
        8,
    )
    page = client.get(response.url).content.decode()
    assert "sfpd.csv" in page
