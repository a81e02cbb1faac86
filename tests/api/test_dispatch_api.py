"""Dispatch over the API: nearest patrols from real PostGIS positions, dispatch by role and
area, field messages on bad input, the unit's own moves, and one meaning of `assignee=me`."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, OutboxEvent, Patrol
from tests.conftest import ARROIOS

pytestmark = pytest.mark.django_db

LON, LAT = ARROIOS
# One thousandth of a degree of latitude is about 111 metres.
METRES_PER_MILLIDEGREE = 111.0


def _patrol(call_sign, *, north=None, minutes_ago=1, status="available", members=()):
    patrol = services.patrol_create(
        call_sign=call_sign, kind="car", status=status, members=list(members)
    )
    if north is not None:
        from django.contrib.gis.geos import Point

        services.patrol_record_position(
            patrol=patrol,
            location=Point(LON, LAT + north / 1000, srid=4326),
            recorded_at=timezone.now() - timedelta(minutes=minutes_ago),
        )
    return patrol


def test_nearest_patrols_are_fresh_then_stale_then_unlocated_each_nearest_first(
    client_for, supervisor, incident, settings
):
    settings.KOBAN_POSITION_STALE_MINUTES = 10
    _patrol("FAR", north=3)
    _patrol("NEAR", north=1)
    _patrol("OLD", north=0.5, minutes_ago=30)  # nearest of all, but its position is stale
    _patrol("NOWHERE")
    _patrol("BUSY", north=0.2, status="busy")  # not available: not suggested

    response = client_for(supervisor).get(f"/api/v1/incidents/{incident.pk}/nearest-patrols/")

    assert response.status_code == 200
    rows = response.json()
    assert [r["call_sign"] for r in rows] == ["NEAR", "FAR", "OLD", "NOWHERE"]
    assert [r["stale"] for r in rows] == [False, False, True, True]
    for row, millidegrees in zip(rows, (1, 3, 0.5), strict=False):
        expected = millidegrees * METRES_PER_MILLIDEGREE
        assert abs(row["distance_m"] - expected) < expected * 0.02, row
    assert rows[3]["distance_m"] is None and rows[3]["position_age_s"] is None
    assert 25 * 60 < rows[2]["position_age_s"] < 35 * 60


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("officer", 403),  # sees the incident, may not send a unit
        ("other_officer", 404),
        ("supervisor", 200),
        ("administrator", 200),
        ("integrator", 403),
        ("anonymous", 401),
    ],
)
def test_dispatch_by_role_and_refusals_change_nothing(
    request, client_for, role, expected, incident
):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    patrol = _patrol("LX-01", north=1)
    events = OutboxEvent.objects.count()

    response = client_for(user).post(
        f"/api/v1/incidents/{incident.pk}/dispatch/", {"patrol": patrol.pk}, format="json"
    )

    assert response.status_code == expected, response.content
    incident.refresh_from_db()
    if expected == 200:
        body = response.json()
        assert (body["status"], body["assigned_patrol_call_sign"]) == ("dispatched", "LX-01")
        assert Patrol.objects.get(pk=patrol.pk).status == "busy"
    else:
        assert (incident.status, incident.assigned_patrol_id) == ("new", None)
        assert OutboxEvent.objects.count() == events


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "patrol"),
        ({"patrol": None, "officer": None}, "patrol"),
        ({"patrol": 987654}, "patrol"),
        ({"patrol": "LX-01"}, "patrol"),
        ({"officer": "me"}, "officer"),
        ({"patrol": "busy"}, "patrol"),
        ({"note": "x" * 2001}, "note"),
        ({"unit": 1}, "unit"),
    ],
)
def test_bad_dispatch_input_is_a_field_error(client_for, supervisor, incident, body, field):
    busy = _patrol("BUSY", status="busy")
    if body.get("patrol") == "busy":
        body = {"patrol": busy.pk}

    response = client_for(supervisor).post(
        f"/api/v1/incidents/{incident.pk}/dispatch/", body, format="json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Incident.objects.get(pk=incident.pk).status == "new"


def test_the_crew_records_on_scene_and_resolved_another_officer_gets_403(
    client_for, supervisor, officer, make_user, areas, incident
):
    crew = make_user("tripulante", "Officer", [areas["Belém"]])
    patrol = _patrol("LX-01", north=1, members=[crew])
    services.incident_dispatch(incident=incident, patrol=patrol, actor=supervisor)
    url = f"/api/v1/incidents/{incident.pk}/transition/"

    refused = client_for(officer).post(url, {"status": "on_scene"}, format="json")
    on_scene = client_for(crew).post(url, {"status": "on_scene"}, format="json")
    resolved = client_for(crew).post(url, {"status": "resolved"}, format="json")

    assert refused.status_code == 403
    assert refused.json()["code"] == "not_allowed"
    assert (on_scene.status_code, resolved.status_code) == (200, 200)
    assert resolved.json()["status"] == "resolved"
    assert Patrol.objects.get(pk=patrol.pk).status == "available"


def test_reassign_and_stand_down_over_the_api(client_for, supervisor, incident):
    first, second = _patrol("LX-01", north=1), _patrol("LX-02", north=2)
    client = client_for(supervisor)
    client.post(f"/api/v1/incidents/{incident.pk}/dispatch/", {"patrol": first.pk}, format="json")

    moved = client.post(
        f"/api/v1/incidents/{incident.pk}/reassign/", {"patrol": second.pk}, format="json"
    )
    stood = client.post(
        f"/api/v1/incidents/{incident.pk}/stand-down/", {"reason": "Resolvido"}, format="json"
    )
    again = client.post(f"/api/v1/incidents/{incident.pk}/stand-down/", {}, format="json")

    assert moved.status_code == 200 and moved.json()["assigned_patrol_call_sign"] == "LX-02"
    assert stood.status_code == 200
    assert (stood.json()["status"], stood.json()["assigned_patrol"]) == ("acknowledged", None)
    kinds = [e["kind"] for e in stood.json()["timeline"]]
    assert kinds[-2:] == ["reassigned", "stood_down"]
    assert again.status_code == 409
    assert {p.status for p in Patrol.objects.all()} == {"available"}


def test_assignee_me_means_me_or_a_patrol_i_crew_on_incidents_and_followups(
    client_for, supervisor, make_user, areas, make_incident, tomorrow
):
    crew = make_user("tripulante", "Officer", [areas["Belém"]])
    patrol = _patrol("LX-01", members=[crew])
    by_patrol = make_incident(ARROIOS, title="Sent to the patrol")
    services.incident_dispatch(incident=by_patrol, patrol=patrol, actor=supervisor)
    direct = make_incident(ARROIOS, title="Sent to the officer")
    services.incident_dispatch(incident=direct, officer=crew, actor=supervisor)
    followup_for_patrol = make_incident(ARROIOS, title="Follow-up for the patrol")
    task = services.followup_assign(
        actor=supervisor,
        incident=followup_for_patrol,
        title="Voltar",
        due_at=tomorrow,
        assignee_patrol=patrol,
    )
    make_incident(ARROIOS, title="Not theirs")
    client = client_for(crew)

    incidents = client.get("/api/v1/incidents/", {"assignee": "me"}).json()["results"]
    followups = client.get("/api/v1/followups/", {"assignee": "me"}).json()["results"]

    assert {i["title"] for i in incidents} == {
        "Sent to the patrol",
        "Sent to the officer",
        "Follow-up for the patrol",
    }
    assert [f["id"] for f in followups] == [task.pk]


def test_nearest_patrols_cost_the_same_queries_for_two_or_eight_patrols(
    client_for, supervisor, officer, incident
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(supervisor)
    url = f"/api/v1/incidents/{incident.pk}/nearest-patrols/"

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    for n in range(2):
        _patrol(f"A-{n}", north=n + 1, members=[officer])
    queries()  # the first call of a token may write its "last used"
    few = queries()
    for n in range(6):
        _patrol(f"B-{n}", north=n + 1, members=[officer, supervisor])

    assert queries() == few
    assert len(client.get(url).json()) == 8


def test_an_officer_sends_their_own_patrol_only_when_the_force_allows_it(
    client_for, officer, incident, settings
):
    own = _patrol("LX-01", north=1, members=[officer])
    other = _patrol("LX-02", north=1)
    client = client_for(officer)
    url = f"/api/v1/incidents/{incident.pk}/dispatch/"

    refused = client.post(url, {"patrol": own.pk}, format="json")
    settings.KOBAN_OFFICERS_MAY_DISPATCH_OWN_PATROL = True
    not_theirs = client.post(url, {"patrol": other.pk}, format="json")
    sent = client.post(url, {"patrol": own.pk}, format="json")

    assert (refused.status_code, not_theirs.status_code, sent.status_code) == (403, 403, 200)
    assert sent.json()["assigned_patrol_call_sign"] == "LX-01"
