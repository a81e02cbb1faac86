"""Repeat-place proposals over the API: supervisors only, scoped by area, decided by a person;
and the concern's assessment (before/after counts, no closing without a note)."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import NeighbourhoodConcern, OutboxEvent, RepeatPlaceProposal
from tests.conftest import ARROIOS

pytestmark = pytest.mark.django_db

GEOJSON = "/api/v1/repeat-places/geojson/"
ROLES = {
    "officer": 403,
    "other_officer": 403,
    "supervisor": 200,
    "administrator": 200,
    "integrator": 403,
    "auditor": 403,
    "anonymous": 401,
}


@pytest.fixture
def proposal(make_incident):
    members = [
        make_incident((ARROIOS[0] + dx, ARROIOS[1] + dy))
        for dx, dy in ((0, 0), (0.0004, 0.0002), (-0.0002, 0.0005))
    ]
    services.repeat_places_scan()
    found = RepeatPlaceProposal.objects.get()
    assert set(found.incidents.values_list("id", flat=True)) == {i.id for i in members}
    return found


@pytest.mark.parametrize("role", sorted(ROLES))
def test_the_proposals_layer_and_a_decision_by_role(request, client_for, role, proposal):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    client = client_for(user)
    events_before = OutboxEvent.objects.count()

    layer = client.get(GEOJSON)
    accepted = client.post(f"/api/v1/repeat-places/{proposal.pk}/accept/", {}, format="json")

    assert layer.status_code == ROLES[role]
    assert accepted.status_code == ROLES[role]
    if ROLES[role] == 200:
        [feature] = layer.json()["features"]
        assert feature["id"] == proposal.pk
        assert feature["geometry"]["type"] == "Polygon"
        assert feature["properties"]["incident_count"] == 3
        assert accepted.json()["status"] == "accepted"
        assert NeighbourhoodConcern.objects.filter(raised_by="repeat_place").count() == 1
    else:
        proposal.refresh_from_db()
        assert proposal.status == "proposed"
        assert not NeighbourhoodConcern.objects.exists()
        assert OutboxEvent.objects.count() == events_before


def test_the_layer_is_scoped_by_area_and_status(client_for, supervisor, areas, proposal):
    client = client_for(supervisor)

    def ids(**params):
        answer = client.get(GEOJSON, params)
        assert answer.status_code == 200, answer.json()
        return [f["id"] for f in answer.json()["features"]]

    assert ids(area=areas["Arroios"].pk) == [proposal.pk]
    assert ids(area=areas["Lisboa"].pk) == [proposal.pk]  # the municipality holds its parishes
    assert ids(area=areas["Belém"].pk) == []
    assert ids(status="dismissed") == []
    assert client.get(GEOJSON, {"status": "maybe"}).status_code == 400


def test_detail_shows_the_rule_time_pattern_and_decision_history(client_for, supervisor, proposal):
    client = client_for(supervisor)
    refused = client.post(
        f"/api/v1/repeat-places/{proposal.pk}/dismiss/", {"reason": " "}, format="json"
    )
    assert refused.status_code == 400 and "reason" in refused.json()

    dismissed = client.post(
        f"/api/v1/repeat-places/{proposal.pk}/dismiss/",
        {"reason": "Festa anual autorizada."},
        format="json",
    )

    body = dismissed.json()
    assert dismissed.status_code == 200
    assert body["status"] == "dismissed" and body["decision_reason"] == "Festa anual autorizada."
    assert body["rule_parameters"] == {"min_incidents": 3, "distance_m": 150, "window_days": 30}
    assert sum(body["hours"]) == 3 and len(body["weekdays"]) == 7
    assert [d["action"] for d in body["decisions"]] == ["proposed", "dismissed"]
    assert body["decisions"][1]["actor"] == supervisor.get_full_name()
    assert {"reporter", "assigned_officer", "created_by"}.isdisjoint(body)
    again = client.post(f"/api/v1/repeat-places/{proposal.pk}/accept/", {}, format="json")
    assert again.status_code == 400 and "status" in again.json()


def test_merging_through_the_api(client_for, supervisor, proposal, concern):
    client = client_for(supervisor)
    answer = client.post(
        f"/api/v1/repeat-places/{proposal.pk}/merge/", {"concern": concern.pk}, format="json"
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["concern_reference"] == concern.reference
    assert concern.incidents.count() == 3


def test_closing_a_concern_needs_an_assessment_note(client_for, supervisor, concern):
    client = client_for(supervisor)
    url = f"/api/v1/concerns/{concern.pk}/transition/"

    refused = client.post(url, {"status": "closed"}, format="json")
    closed = client.post(
        url, {"status": "closed", "assessment_note": "Bar fechou às 23h."}, format="json"
    )

    assert refused.status_code == 400
    assert list(refused.json()) == ["assessment_note"]
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["assessment_note"] == "Bar fechou às 23h."


def test_the_concern_detail_carries_its_before_and_after(
    client_for, supervisor, concern, make_incident
):
    from datetime import timedelta

    services.concern_transition(concern=concern, to_status="responding", actor=supervisor)
    concern.refresh_from_db()
    make_incident(ARROIOS, reported_at=concern.response_started_at - timedelta(hours=6))
    make_incident(ARROIOS, reported_at=concern.response_started_at - timedelta(hours=12))

    body = client_for(supervisor).get(f"/api/v1/concerns/{concern.pk}/").json()

    assessment = body["assessment"]
    assert (assessment["before"], assessment["after"], assessment["days"]) == (2, 0, 1)
    assert assessment["change_percent"] == -100
    assert body["response_started_at"] is not None


def test_the_layer_query_count_does_not_grow_with_the_proposals(
    client_for, supervisor, make_incident
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count() -> int:
        client = client_for(supervisor)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(GEOJSON).status_code == 200
        return len(queries)

    def place(n: int) -> None:  # three incidents about 500 m from the previous place
        for dy in (0.0, 0.0002, 0.0004):
            make_incident((ARROIOS[0] + 0.006 * n, ARROIOS[1] + dy))

    place(0)
    services.repeat_places_scan()
    one = count()
    for n in range(1, 6):
        place(n)
    services.repeat_places_scan()
    assert RepeatPlaceProposal.objects.filter(status="proposed").count() == 6
    assert count() == one


def test_the_job_is_scheduled_hourly_by_celery_beat_and_its_task_runs_the_scan(make_incident):
    from django_celery_beat.models import PeriodicTask

    from incidents.tasks import repeat_places_scan_task

    task = PeriodicTask.objects.get(name="Look for repeat places")
    assert task.task == "incidents.tasks.repeat_places_scan_task"
    assert (task.interval.every, task.interval.period) == (1, "hours")
    for dx in (0.0, 0.0003, 0.0006):
        make_incident((ARROIOS[0] + dx, ARROIOS[1]))
    assert repeat_places_scan_task() == {
        "proposed": 1,
        "updated": 0,
        "expired": 0,
        "skipped_dismissed": 0,
    }
