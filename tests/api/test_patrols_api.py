"""Patrol endpoints: list, map features, position reports and history, status."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import PatrolPosition

pytestmark = pytest.mark.django_db

HERE = {"type": "Point", "coordinates": [-9.1345, 38.7255]}


def test_geojson_shows_located_patrols_with_staleness(client_for, officer, patrol, areas, point):
    quiet = services.patrol_create(call_sign="LX-02", kind="foot", area=areas["Belém"])
    services.patrol_record_position(
        patrol=quiet,
        location=point((-9.205, 38.6975)),
        recorded_at=timezone.now() - timedelta(hours=2),
    )
    services.patrol_record_position(patrol=patrol, location=point((-9.1345, 38.7255)))
    services.patrol_create(call_sign="LX-03", kind="car")  # never reported: not on the map

    response = client_for(officer).get("/api/v1/patrols/geojson/")

    assert response.status_code == 200
    features = {f["id"]: f for f in response.json()["features"]}
    assert set(features) == {patrol.pk, quiet.pk}
    props = features[patrol.pk]["properties"]
    assert set(props) == {"call_sign", "kind", "status", "area", "position_at", "stale"}
    assert (props["call_sign"], props["stale"]) == ("LX-01", False)
    assert features[quiet.pk]["properties"]["stale"] is True
    assert features[patrol.pk]["geometry"] == HERE
    assert "X-Koban-Sequence" in response


def test_list_and_detail(client_for, officer, patrol):
    client = client_for(officer)
    listed = client.get("/api/v1/patrols/", {"status": "off_duty"})
    assert [p["id"] for p in listed.json()] == [patrol.pk]
    assert listed.json()[0]["members"] == [officer.pk]
    assert client.get("/api/v1/patrols/", {"status": "busy"}).json() == []
    assert client.get(f"/api/v1/patrols/{patrol.pk}/").json()["call_sign"] == "LX-01"
    assert client.get("/api/v1/patrols/999999/").status_code == 404


def test_a_member_reports_a_position_and_a_repeat_is_not_recorded_twice(
    client_for, officer, patrol
):
    client = client_for(officer)
    url = f"/api/v1/patrols/{patrol.pk}/positions/"
    fix = {"location": HERE, "recorded_at": timezone.now().isoformat(), "speed_kmh": 12.5}

    first = client.post(url, fix, format="json")
    repeat = client.post(url, fix, format="json")

    assert first.status_code == 201, first.json()
    assert first.json()["location"] == HERE
    assert first.json()["stale"] is False
    assert repeat.status_code == 200
    assert PatrolPosition.objects.filter(patrol=patrol).count() == 1


@pytest.mark.parametrize(
    ("fix", "field"),
    [
        ({"location": None}, "location"),
        ({"location": {"type": "Point", "coordinates": [-9.1, 91]}}, "location"),
        ({"location": HERE, "recorded_at": "2999-01-01T00:00:00Z"}, "recorded_at"),
        ({"location": HERE, "speed_kmh": -3}, "speed_kmh"),
        ({"location": HERE, "heading": 400}, "heading"),
        ({"location": HERE, "heading": "north"}, "heading"),
    ],
)
def test_bad_positions_are_field_errors(client_for, officer, patrol, fix, field):
    response = client_for(officer).post(
        f"/api/v1/patrols/{patrol.pk}/positions/", fix, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not PatrolPosition.objects.exists()


def test_only_members_and_supervisors_report_positions(
    client_for, other_officer, supervisor, integrator, patrol
):
    url = f"/api/v1/patrols/{patrol.pk}/positions/"
    assert client_for(other_officer).post(url, {"location": HERE}, format="json").status_code == 403
    assert client_for(integrator).post(url, {"location": HERE}, format="json").status_code == 403
    assert client_for(supervisor).post(url, {"location": HERE}, format="json").status_code == 201
    assert PatrolPosition.objects.count() == 1


def test_position_history_newest_first_with_a_window(client_for, officer, patrol, point):
    now = timezone.now()
    for minutes in (30, 20, 10):
        services.patrol_record_position(
            patrol=patrol,
            location=point((-9.1345, 38.7255)),
            recorded_at=now - timedelta(minutes=minutes),
        )
    client = client_for(officer)
    url = f"/api/v1/patrols/{patrol.pk}/positions/"

    history = client.get(url, {"page_size": 2}).json()
    window = client.get(url, {"since": (now - timedelta(minutes=25)).isoformat()}).json()

    times = [row["recorded_at"] for row in history["results"]]
    assert len(times) == 2 and times == sorted(times, reverse=True)
    assert history["next"]
    assert len(window["results"]) == 2


def test_status_by_a_member(client_for, officer, other_officer, patrol):
    url = f"/api/v1/patrols/{patrol.pk}/status/"

    busy = client_for(officer).post(url, {"status": "busy"}, format="json")
    unknown = client_for(officer).post(url, {"status": "lunch"}, format="json")
    refused = client_for(other_officer).post(url, {"status": "available"}, format="json")

    assert busy.status_code == 200
    assert busy.json()["status"] == "busy"
    assert unknown.status_code == 400
    assert refused.status_code == 403
    patrol.refresh_from_db()
    assert patrol.status == "busy"
