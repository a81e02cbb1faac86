"""Open311 GeoReport v2 against the real San Francisco payloads served over loopback HTTP."""

from __future__ import annotations

import codecs
import json
from collections import Counter
from datetime import UTC, datetime

import pytest

from incidents.errors import InvalidInput
from incidents.models import Incident, OutboxEvent, TimelineEntry
from integrations import services
from integrations.models import RejectedRecord, SyncRun

from .conftest import DATA, SF_REQUESTS, open311_config

pytestmark = pytest.mark.django_db

REQUESTS = "/open311/v2/requests.json"


def _sf() -> list[dict]:
    return json.loads(SF_REQUESTS.read_bytes())


def test_500_sf_requests_import_exactly_a_rerun_changes_nothing_and_a_change_is_updated(
    sf_feed, make_source, run_sync
):
    source = make_source(config=open311_config(sf_feed))

    run = run_sync(source)

    assert (run.status, run.error) == (SyncRun.Status.SUCCEEDED, "")
    assert (run.fetched, run.created, run.updated, run.unchanged, run.rejected) == (
        500,
        500,
        0,
        0,
        0,
    )
    # 26 requests have 0/0 coordinates: kept, not located, with their address.
    assert run.not_located == 26
    imported = Incident.objects.filter(source="sf311")
    assert imported.count() == 500
    assert Counter(imported.values_list("status", flat=True)) == {"closed": 371, "new": 129}
    assert Counter(imported.values_list("category__code", flat=True)) == {
        "public_space": 157,
        "traffic_parking": 56,
        "vandalism": 13,
        "other": 274,
    }
    not_located = imported.filter(location__isnull=True)
    assert not_located.count() == 26
    assert all(i.address for i in not_located)
    first = imported.get(external_id="909119")
    # "2011-06-27 03:43:00" is San Francisco time (the source's configured time zone).
    assert first.reported_at == datetime(2011, 6, 27, 10, 43, tzinfo=UTC)
    assert first.address == "851 POST ST SAN FRANCISCO , CA"
    assert (round(first.location.x, 5), round(first.location.y, 6)) == (-122.41581, 37.787064)
    assert first.timeline.get().kind == TimelineEntry.Kind.IMPORTED
    source.refresh_from_db()
    assert source.cursor == {"since": "2011-06-28T12:59:00-07:00"}

    again = run_sync(source)

    assert (again.status, again.created, again.updated, again.unchanged) == (
        SyncRun.Status.SUCCEEDED,
        0,
        0,
        500,
    )
    assert Incident.objects.filter(source="sf311").count() == 500
    # The second request asked only for what is new since the first run.
    assert [h.query.get("start_date") for h in sf_feed.hits] == [
        None,
        ["2011-06-28T12:59:00-07:00"],
    ]

    # One record changes upstream: it is updated, and the change reaches its timeline.
    records = _sf()
    changed = next(r for r in records if r["service_request_id"] == "909744")
    assert changed["status"] == "Open"
    changed.update(
        status="Closed",
        status_notes="Vehicle towed.",
        updated_datetime="2011-07-06 09:00:00",
    )
    sf_feed.serve(REQUESTS, records)
    before = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first()

    third = run_sync(source)

    assert (third.created, third.updated, third.unchanged, third.rejected) == (0, 1, 499, 0)
    incident = Incident.objects.get(source="sf311", external_id="909744")
    assert incident.status == "closed"
    assert incident.description == "Vehicle towed."
    entries = list(incident.timeline.order_by("id").values_list("kind", "to_status", "actor_label"))
    assert entries[0][0] == "imported"
    assert ("updated", "", "source:sf311") in entries
    assert [e[1] for e in entries if e[0] == "status"] == ["acknowledged", "resolved", "closed"]
    updated = incident.timeline.get(kind="updated")
    assert updated.data["changed"]["description"] == "Vehicle towed."
    # The live feed gets the change like any other (outbox events for that incident only).
    new_events = OutboxEvent.objects.filter(id__gt=before)
    assert {(e.kind, e.entity_id) for e in new_events} == {("incident.upserted", incident.id)}


def test_messy_xml_feed_bom_wrong_charset_string_numbers_and_zoned_dates(
    feed, make_source, run_sync
):
    real = (DATA / "open311_sf_cfa_ruby_gem" / "service_requests.xml").read_bytes()
    messy = codecs.BOM_UTF8 + real.replace(b"8TH AVE and JUDAH ST", "Praça do Comércio".encode(), 1)
    feed.serve("/georeport/v2/requests.xml", messy, content_type="text/xml; charset=iso-8859-1")
    source = make_source(
        config={
            "endpoint": feed.url("/georeport/v2"),
            "format": "xml",
            "jurisdiction_id": "sfgov.org",
            "service_categories": {"006": "public_space"},
            "status_map": {"open": "acknowledged", "closed": "closed"},
        }
    )

    run = run_sync(source)

    assert (run.status, run.created, run.rejected) == (SyncRun.Status.SUCCEEDED, 2, 0)
    assert feed.hits[0].query["jurisdiction_id"] == ["sfgov.org"]
    closed = Incident.objects.get(external_id="638344")
    assert closed.address == "Praça do Comércio"
    assert closed.status == "closed"
    assert closed.description == "Duplicate request."
    assert closed.reported_at == datetime(2010, 4, 14, 14, 37, 38, tzinfo=UTC)
    assert round(closed.location.y, 6) == 37.762222
    assert Incident.objects.get(external_id="638349").status == "acknowledged"


def test_malformed_records_are_quarantined_with_reasons_and_replayed_after_a_fix(
    feed, make_source, run_sync, integrator
):
    records = _sf()[:20]
    categories = {r["service_code"]: "other" for r in records}
    del records[2]["service_request_id"]
    records[5]["requested_datetime"] = "sometime in June"
    records[8]["lat"], records[8]["long"] = "north", "west"
    records[11]["service_code"] = "999"
    feed.serve(REQUESTS, records)
    source = make_source(config=open311_config(feed, service_categories=categories))

    run = run_sync(source)

    assert (run.status, run.fetched, run.created, run.rejected) == (
        SyncRun.Status.PARTIAL,
        20,
        16,
        4,
    )
    reasons = dict(RejectedRecord.objects.values_list("external_id", "reason"))
    assert reasons == {
        "": "service_request_id is missing.",
        records[5]["service_request_id"]: (
            "requested_datetime: 'sometime in June' is not a date and time."
        ),
        records[8]["service_request_id"]: "coordinates (longitude): 'west' is not a number.",
        records[11]["service_request_id"]: (
            "service_code '999' is not in service_categories "
            "(and service_categories has no 'default')."
        ),
    }
    bad_code = RejectedRecord.objects.get(external_id=records[11]["service_request_id"])
    assert bad_code.payload == records[11]

    # The same feed again: nothing is quarantined twice.
    run_sync(source)
    assert RejectedRecord.objects.count() == 4
    assert RejectedRecord.objects.get(pk=bad_code.pk).times_seen == 2

    # Replay before the fix is refused with the reason; after the fix it imports.
    with pytest.raises(InvalidInput, match="Still refused: service_code '999'"):
        services.rejected_replay(record=bad_code, actor=integrator)
    fixed = {**source.config, "service_categories": {**categories, "999": "noise"}}
    services.source_update(source=source, config=fixed)
    record, outcome = services.rejected_replay(record=bad_code, actor=integrator)

    assert (outcome, record.status, record.resolved_by) == ("created", "replayed", integrator)
    incident = Incident.objects.get(source="sf311", external_id=records[11]["service_request_id"])
    assert incident.category.code == "noise"
    dismissed = services.rejected_dismiss(
        record=RejectedRecord.objects.get(external_id=""), actor=integrator
    )
    assert dismissed.status == "dismissed"
    assert RejectedRecord.objects.filter(status="open").count() == 2


def test_http_500_is_retried_then_the_run_fails_readably_and_nothing_moves(
    feed, make_source, run_sync, eager_celery, django_capture_on_commit_callbacks, settings
):
    sf_feed = feed
    feed.serve(REQUESTS, _sf()[:40])
    source = make_source(config=open311_config(feed))
    run_sync(source)
    source.refresh_from_db()
    cursor = source.cursor
    snapshot = list(Incident.objects.order_by("id").values_list("id", "content_hash", "status"))
    sf_feed.serve(
        REQUESTS,
        "<html><body><h1>502 Bad Gateway</h1> upstream timed out</body></html>",
        status=500,
        content_type="text/html",
    )
    hits_before = sf_feed.count(REQUESTS)

    with django_capture_on_commit_callbacks(execute=True):
        run, created = services.run_now(source=source)

    run.refresh_from_db()
    assert created
    tries = settings.KOBAN_SYNC_MAX_RETRIES + 1
    assert sf_feed.count(REQUESTS) - hits_before == tries
    assert (run.status, run.attempts) == (SyncRun.Status.FAILED, tries)
    assert run.error.startswith(f"HTTP 500 from {sf_feed.url(REQUESTS)} (Internal Server Error).")
    assert "upstream timed out" not in run.error  # the remote's body is never shown
    assert f"Gave up after {tries} attempt(s)" in run.error
    source.refresh_from_db()
    assert source.cursor == cursor
    assert (
        list(Incident.objects.order_by("id").values_list("id", "content_hash", "status"))
        == snapshot
    )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, b'{"description": "api_key required"}', "HTTP 401 from"),
        (403, (DATA / "open311_sf_cfa_ruby_gem" / "403.xml").read_bytes(), "(Forbidden)."),
    ],
)
def test_401_and_403_stop_at_once_without_retries(
    feed, make_source, eager_celery, django_capture_on_commit_callbacks, status, body, expected
):
    feed.serve(REQUESTS, body, status=status, content_type="text/xml")
    source = make_source(config=open311_config(feed))

    with django_capture_on_commit_callbacks(execute=True):
        run, _ = services.run_now(source=source)

    run.refresh_from_db()
    assert feed.count(REQUESTS) == 1
    assert (run.status, run.attempts) == (SyncRun.Status.FAILED, 1)
    assert expected in run.error
    assert "Check the credentials" in run.error
    assert "api_key" not in run.error  # the remote's body is never shown
    assert not Incident.objects.exists()


def test_api_key_comes_from_the_environment_and_a_missing_variable_is_a_config_error(
    feed, make_source, run_sync, monkeypatch
):
    sf_feed = feed
    feed.serve(REQUESTS, _sf()[:10])
    source = make_source(config=open311_config(feed, api_key_env="KOBAN_SECRET_SF311_KEY"))
    monkeypatch.delenv("KOBAN_SECRET_SF311_KEY", raising=False)

    failed = run_sync(source)

    assert failed.status == "failed"
    assert "KOBAN_SECRET_SF311_KEY is not set" in failed.error
    assert sf_feed.count(REQUESTS) == 0
    monkeypatch.setenv("KOBAN_SECRET_SF311_KEY", "s3cret")
    ok = run_sync(source)
    assert ok.created == 10
    assert sf_feed.hits[-1].query["api_key"] == ["s3cret"]
    assert "s3cret" not in json.dumps(source.config)
