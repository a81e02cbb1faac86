"""Incident endpoints against real PostGIS: reads, filters, pagination, writes and their errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, OutboxEvent, ReporterContact, TimelineEntry
from tests.api.conftest import ARROIOS_BBOX, REPORTER
from tests.conftest import ARROIOS, ATLANTIC, BELEM

pytestmark = pytest.mark.django_db

FEATURE_PROPERTIES = {
    "reference",
    "title",
    "category",
    "priority",
    "status",
    "area",
    "area_name",
    "address",
    "reported_at",
    "updated_at",
    "concern",
}


def _ids(response) -> list[int]:
    body = response.json()
    rows = body["results"] if "results" in body else body["features"]
    return [row["id"] for row in rows]


def test_listing_a_bbox_returns_the_arroios_incident_and_the_snapshot_sequence(
    client_for, supervisor, incident, belem_incident
):
    response = client_for(supervisor).get("/api/v1/incidents/", {"bbox": ARROIOS_BBOX})

    assert response.status_code == 200
    assert _ids(response) == [incident.pk]
    row = response.json()["results"][0]
    assert row["area_name"] == "Arroios"
    assert row["location"] == {"type": "Point", "coordinates": list(ARROIOS)}
    assert "reporter" not in row
    latest = OutboxEvent.objects.order_by("-id").first().id
    assert response["X-Koban-Sequence"] == str(latest)


def test_geojson_is_a_feature_collection_with_incident_ids_and_map_properties(
    client_for, supervisor, incident, make_incident
):
    unlocated = make_incident(None, title="Sem local")

    response = client_for(supervisor).get("/api/v1/incidents/geojson/")

    body = response.json()
    assert response.status_code == 200
    assert body["type"] == "FeatureCollection"
    assert body["next"] is None
    [feature] = body["features"]
    assert feature["type"] == "Feature"
    assert feature["id"] == incident.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": list(ARROIOS)}
    assert set(feature["properties"]) == FEATURE_PROPERTIES
    assert feature["properties"]["area_name"] == "Arroios"
    assert feature["properties"]["category"] == "noise"
    assert "X-Koban-Sequence" in response
    # The plain list keeps what the map cannot place.
    listed = client_for(supervisor).get("/api/v1/incidents/")
    assert unlocated.pk in _ids(listed)


def test_cursor_pages_walk_every_incident_once_newest_first(client_for, supervisor, make_incident):
    now = timezone.now()
    made = [make_incident(reported_at=now - timedelta(hours=h)) for h in range(5)]
    client = client_for(supervisor)

    seen: list[int] = []
    url = "/api/v1/incidents/?page_size=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    assert seen == [i.pk for i in made]


def test_geojson_pages_follow_next(client_for, supervisor, make_incident):
    for _ in range(3):
        make_incident()
    client = client_for(supervisor)
    first = client.get("/api/v1/incidents/geojson/", {"page_size": 2}).json()
    second = client.get(first["next"]).json()
    assert len(first["features"]) == 2
    assert len(second["features"]) == 1
    assert second["next"] is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "acknowledged"}, ["acked"]),
        ({"status": "new,acknowledged"}, ["acked", "noise", "old_theft"]),
        ({"category": "theft"}, ["old_theft"]),
        ({"priority": "low"}, ["old_theft"]),
        ({"days": "2"}, ["acked", "noise"]),
        ({"q": "morais"}, ["noise"]),
        ({"q": "OC-"}, ["acked", "noise", "old_theft"]),
        ({"ordering": "reported_at"}, ["old_theft", "noise", "acked"]),
    ],
)
def test_filters_narrow_the_list(client_for, supervisor, make_incident, params, expected):
    now = timezone.now()
    made = {
        "noise": make_incident(address="Rua Morais Soares", reported_at=now - timedelta(hours=5)),
        "old_theft": make_incident(
            category="theft", priority="low", reported_at=now - timedelta(days=10)
        ),
        "acked": make_incident(reported_at=now - timedelta(hours=1)),
    }
    services.incident_transition(incident=made["acked"], to_status="acknowledged")

    response = client_for(supervisor).get("/api/v1/incidents/", params)

    assert response.status_code == 200, response.json()
    assert _ids(response) == [made[name].pk for name in expected]


def test_time_window_area_and_updated_since_filters(
    client_for, supervisor, areas, make_incident, belem_incident
):
    now = timezone.now()
    old = make_incident(reported_at=now - timedelta(days=3))
    client = client_for(supervisor)
    window = {"since": (now - timedelta(days=4)).isoformat(), "until": (now - timedelta(days=2))}
    assert _ids(client.get("/api/v1/incidents/", window)) == [old.pk]

    lisbon = areas["Lisboa"]
    assert set(_ids(client.get("/api/v1/incidents/", {"area": lisbon.pk}))) == {
        old.pk,
        belem_incident.pk,
    }
    assert _ids(client.get("/api/v1/incidents/", {"area": areas["Belém"].pk})) == [
        belem_incident.pk
    ]

    checkpoint = timezone.now()
    services.incident_add_note(incident=old, text="Vizinhos contactados.")
    changed = client.get("/api/v1/incidents/", {"updated_since": checkpoint.isoformat()})
    assert _ids(changed) == [old.pk]


def test_assignee_me_lists_what_is_mine(client_for, officer, supervisor, make_incident, tomorrow):
    mine = make_incident()
    by_followup = make_incident()
    make_incident()
    services.incident_assign(incident=mine, officer=officer, actor=supervisor)
    services.followup_assign(
        actor=supervisor,
        incident=by_followup,
        title="Falar com o dono",
        due_at=tomorrow,
        assignee=officer,
    )

    response = client_for(officer).get("/api/v1/incidents/", {"assignee": "me"})

    assert set(_ids(response)) == {mine.pk, by_followup.pk}


def test_detail_has_lifecycle_timeline_followups_and_concern(
    client_for, supervisor, incident, concern, officer, tomorrow
):
    services.incident_link_concern(incident=incident, concern=concern, actor=supervisor)
    services.followup_assign(
        actor=supervisor, incident=incident, title="Visitar", due_at=tomorrow, assignee=officer
    )

    body = client_for(supervisor).get(f"/api/v1/incidents/{incident.pk}/").json()

    assert body["allowed_transitions"] == ["acknowledged", "cancelled", "duplicate"]
    assert [e["kind"] for e in body["timeline"]][:2] == ["created", "linked"]
    assert body["followups"][0]["title"] == "Visitar"
    assert body["followups"][0]["assignee"] == officer.pk
    assert body["concern"] == concern.pk
    assert body["concern_reference"] == concern.reference
    assert "reporter" not in body
    assert body["has_reporter_contact"] is True


def test_creating_an_incident_derives_its_area_and_returns_the_detail(client_for, officer, areas):
    payload = {
        "category": "noise",
        "priority": "high",
        "title": "Festa no terraço",
        "description": "Música desde as 23h.",
        "location": {"type": "Point", "coordinates": list(ARROIOS)},
        "address": "Rua de Angola 5",
        "reporter": REPORTER,
    }

    response = client_for(officer).post("/api/v1/incidents/", payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    created = Incident.objects.get(pk=body["id"])
    assert created.area == areas["Arroios"]
    assert body["area_name"] == "Arroios"
    assert body["status"] == "new"
    assert created.created_by == officer
    assert ReporterContact.objects.get(incident=created).phone == REPORTER["phone"]
    # The contact is never in the detail; the officer who recorded it may not reveal it.
    assert "reporter" not in body
    assert body["can_reveal_contact"] is False
    assert body["timeline"][0]["kind"] == "created"


def test_a_point_outside_the_service_area_is_a_field_error_when_configured(
    client_for, officer, settings
):
    settings.KOBAN_REJECT_OUTSIDE_AREA = True
    payload = {"category": "noise", "location": {"type": "Point", "coordinates": list(ATLANTIC)}}

    response = client_for(officer).post("/api/v1/incidents/", payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"location": ["This location is outside the service area."]}
    assert not Incident.objects.exists()


def test_patch_moves_an_incident_and_changes_fields(client_for, supervisor, incident, areas):
    response = client_for(supervisor).patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"priority": "low", "location": {"type": "Point", "coordinates": list(BELEM)}},
        format="json",
    )

    assert response.status_code == 200, response.json()
    incident.refresh_from_db()
    assert (incident.priority, incident.area) == ("low", areas["Belém"])
    assert response.json()["area_name"] == "Belém"
    assert set(TimelineEntry.objects.filter(incident=incident).values_list("kind", flat=True)) >= {
        "updated",
        "moved",
    }


def test_patch_refuses_status_and_unknown_fields(client_for, supervisor, incident):
    response = client_for(supervisor).patch(
        f"/api/v1/incidents/{incident.pk}/", {"status": "closed", "colour": "red"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"status", "colour"}
    incident.refresh_from_db()
    assert incident.status == "new"


def test_an_officer_who_moves_an_incident_away_gets_the_answer_then_loses_it(
    client_for, officer, incident
):
    client = client_for(officer)
    moved = client.patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"location": {"type": "Point", "coordinates": list(BELEM)}},
        format="json",
    )
    assert moved.status_code == 200
    assert moved.json()["area_name"] == "Belém"
    assert client.get(f"/api/v1/incidents/{incident.pk}/").status_code == 404


def test_transition_moves_along_the_lifecycle_with_a_note(client_for, officer, incident):
    response = client_for(officer).post(
        f"/api/v1/incidents/{incident.pk}/transition/",
        {"status": "acknowledged", "note": "A caminho."},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "acknowledged"
    assert body["allowed_transitions"] == ["dispatched", "resolved", "cancelled", "duplicate"]
    status_entry = body["timeline"][-1]
    assert (status_entry["kind"], status_entry["from_status"], status_entry["to_status"]) == (
        "status",
        "new",
        "acknowledged",
    )
    assert status_entry["text"] == "A caminho."


def test_a_refused_transition_is_409_with_the_allowed_states_and_changes_nothing(
    client_for, officer, incident
):
    events_before = OutboxEvent.objects.count()

    response = client_for(officer).post(
        f"/api/v1/incidents/{incident.pk}/transition/", {"status": "closed"}, format="json"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["allowed"] == ["acknowledged", "cancelled", "duplicate"]
    assert (body["current"], body["requested"]) == ("new", "closed")
    assert "closed" in body["detail"]
    incident.refresh_from_db()
    assert incident.status == "new"
    assert OutboxEvent.objects.count() == events_before


def test_duplicate_needs_the_incident_it_repeats(client_for, officer, incident, make_incident):
    client = client_for(officer)
    url = f"/api/v1/incidents/{incident.pk}/transition/"
    missing = client.post(url, {"status": "duplicate"}, format="json")
    assert missing.status_code == 400
    assert "duplicate_of" in missing.json()

    original = make_incident()
    ok = client.post(url, {"status": "duplicate", "duplicate_of": original.pk}, format="json")
    assert ok.status_code == 200
    assert ok.json()["duplicate_of"] == original.pk


def test_notes_are_added_to_the_timeline(client_for, officer, incident):
    client = client_for(officer)
    url = f"/api/v1/incidents/{incident.pk}/notes/"

    response = client.post(url, {"text": "Falei com o porteiro."}, format="json")

    assert response.status_code == 201
    assert response.json()["timeline"][-1]["text"] == "Falei com o porteiro."
    assert response.json()["timeline"][-1]["actor"] == "Agente"
    assert client.post(url, {"text": ""}, format="json").json() == {
        "text": ["This field may not be blank."]
    }


def test_link_and_unlink_a_concern(client_for, officer, incident, concern):
    client = client_for(officer)
    url = f"/api/v1/incidents/{incident.pk}/link-concern/"

    linked = client.post(url, {"concern": concern.pk}, format="json")
    assert linked.status_code == 200
    assert linked.json()["concern"] == concern.pk
    assert TimelineEntry.objects.filter(concern=concern, kind="linked").exists()

    unlinked = client.post(url, {"concern": None}, format="json")
    assert unlinked.json()["concern"] is None
    incident.refresh_from_db()
    assert incident.concern is None


def test_linking_to_a_concern_the_officer_cannot_see_is_a_field_error(
    client_for, officer, incident, supervisor, point
):
    hidden = services.concern_create(
        actor=supervisor, title="Belém", category="noise", location=point(BELEM)
    )

    response = client_for(officer).post(
        f"/api/v1/incidents/{incident.pk}/link-concern/", {"concern": hidden.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"concern": ["No such concern (or not one you may see)."]}
    incident.refresh_from_db()
    assert incident.concern is None


def test_times_are_answered_in_utc_even_before_standard_time(client_for, supervisor, incident):
    """Found by schemathesis: Lisbon's 1911 offset (-00:36:45) is not valid RFC 3339."""
    response = client_for(supervisor).patch(
        f"/api/v1/incidents/{incident.pk}/",
        {"occurred_at": "1900-02-04T12:00:00+01:00"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["occurred_at"] == "1900-02-04T11:00:00Z"
